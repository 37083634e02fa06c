"""A port for the sidebar: when it opens a contact or group chat Andon has not registered yet,
the channel that knows them (WeCom) fetches and registers it on the spot. The WeCom app registers
its functions here from its AppConfig.ready(); without one, the sidebar shows the id as unknown.

A lookup returns the registered record, or None when the channel does not know the id; it raises
`LookupUnavailable` when the channel cannot be asked right now (not configured, unreachable)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from andon.customers.models import Contact, CustomerGroupChat

log = logging.getLogger(__name__)


class LookupUnavailable(Exception):
    """The channel could not be asked (its reason is the message)."""


_CONTACT: list[Callable[[str], Contact | None]] = []
_CHAT: list[Callable[[str], CustomerGroupChat | None]] = []


def register_lookups(
    *,
    contact: Callable[[str], Contact | None],
    chat: Callable[[str], CustomerGroupChat | None],
) -> None:
    if contact not in _CONTACT:
        _CONTACT.append(contact)
    if chat not in _CHAT:
        _CHAT.append(chat)


def _first(lookups, key: str):
    for lookup in lookups:
        found = lookup(key)
        if found is not None:
            return found
    return None


def fetch_contact(external_userid: str) -> Contact | None:
    return _first(_CONTACT, external_userid)


def fetch_chat(chat_id: str) -> CustomerGroupChat | None:
    return _first(_CHAT, chat_id)
