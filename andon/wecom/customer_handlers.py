"""change_external_contact and change_external_chat (客户联系 callbacks): the contact or chat
they name is fetched again from WeCom and written, so Andon follows each change as it happens.
Deletions need no fetch: the callback itself says which member and customer parted."""

from __future__ import annotations

from andon.wecom import contacts_sync, handlers
from andon.wecom.models import CallbackEvent


def _contact_key(payload: dict) -> str:
    return f"external_contact:{payload.get('ExternalUserID') or ''}"


def _chat_key(payload: dict) -> str:
    return f"external_chat:{payload.get('ChatId') or ''}"


def _external_userid(event: CallbackEvent) -> str:
    value = str(event.payload.get("ExternalUserID") or "")
    if not value:
        raise ValueError("change_external_contact without an ExternalUserID")
    return value


@handlers.register(
    event="change_external_contact", change_type="add_external_contact", object_key=_contact_key
)
@handlers.register(
    event="change_external_contact", change_type="edit_external_contact", object_key=_contact_key
)
@handlers.register(
    event="change_external_contact",
    change_type="add_half_external_contact",
    object_key=_contact_key,
)
def on_external_contact_changed(event: CallbackEvent) -> None:
    # A contact WeCom no longer knows (deleted again before we got here) is simply not written.
    contacts_sync.sync_contact(_external_userid(event))


@handlers.register(
    event="change_external_contact", change_type="del_external_contact", object_key=_contact_key
)
@handlers.register(
    event="change_external_contact", change_type="del_follow_user", object_key=_contact_key
)
def on_external_contact_parted(event: CallbackEvent) -> None:
    userid = str(event.payload.get("UserID") or "")
    if not userid:
        raise ValueError("change_external_contact without a UserID")
    contacts_sync.remove_follower(external_userid=_external_userid(event), userid=userid)


def _chat_id(event: CallbackEvent) -> str:
    value = str(event.payload.get("ChatId") or "")
    if not value:
        raise ValueError("change_external_chat without a ChatId")
    return value


@handlers.register(event="change_external_chat", change_type="create", object_key=_chat_key)
@handlers.register(event="change_external_chat", change_type="update", object_key=_chat_key)
def on_external_chat_changed(event: CallbackEvent) -> None:
    chat_id = _chat_id(event)
    if contacts_sync.sync_chat(chat_id) is None:
        # WeCom answers "no such chat" once it is gone; a dismiss callback may still be queued.
        contacts_sync.dismiss_chat(chat_id)


@handlers.register(event="change_external_chat", change_type="dismiss", object_key=_chat_key)
def on_external_chat_dismissed(event: CallbackEvent) -> None:
    contacts_sync.dismiss_chat(_chat_id(event))
