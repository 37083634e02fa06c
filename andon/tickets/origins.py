"""Where a ticket was filed from: the one argument of `create_ticket` that tells the doors apart.

An origin is a dict, `{"kind": <kind>, ...details}`:

- `web` — the desk's own form; `api` — the REST API;
- `portal` — the requester portal (an employee, or an external contact signed in by link);
- `chat` — a WeCom chat sidebar: `customer`, `contact`, `group_chat` ids, `external_userid`,
  `chat_id`;
- `channel` — an inbound channel (e-mail, WeChat customer service, …): `name` and its own ids.

Decision: the origin is recorded *inside* the `created` event, as `after["origin"]` (the kind
plus a JSON summary of its details), not as a separate first event: every subscriber of
`created` (notifications, OLA, WeCom handlers) reads where the ticket came from in the event it
already gets, and the log stays one event per change. Apps that keep more than a summary (the
customers app's `TicketOrigin` row) register a handler for their kind: its `clean` runs with the
other checks before anything is written, and its `record` runs after the ticket row exists and
*before* the `created` event, in the same transaction — so by the time anything reacts to
`created`, the origin rows are there. Tickets does not import those apps; they register here
(a named port, see DESIGN.md §4 "Layers")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from andon.core.errors import ValidationFailed
from andon.tickets.models import Channel

KINDS = ("web", "api", "portal", "chat", "channel")
# The channel a kind files under when the caller names none.
DEFAULT_CHANNELS = {
    "web": Channel.WEB,
    "api": Channel.API,
    "portal": Channel.PORTAL,
    "chat": Channel.SINGLE_CHAT,
}
DETAIL_MAX = 200


@dataclass(frozen=True)
class Handler:
    """`clean(actor, details) -> (summary, state)` raises ValidationFailed (field errors) or
    PermissionDenied; `summary` goes into the created event, `state` to `record(ticket, state)`."""

    clean: Callable
    record: Callable | None = None
    # Who may file through this door without `tickets.create` (the portal's external contacts).
    admits: Callable | None = None


_handlers: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Called by the app that owns a kind's records, from its AppConfig.ready()."""
    if kind not in KINDS:
        raise ValueError(f"unknown origin kind {kind!r}")
    _handlers[kind] = handler


def admits(kind, actor) -> bool:
    """Whether this door lets in someone without `tickets.create`."""
    handler = _handlers.get(kind)
    return bool(handler and handler.admits and handler.admits(actor))


def _generic(details: dict) -> dict:
    """Details of a kind nobody registered for: a flat record of short scalar values."""
    summary = {}
    for key, value in details.items():
        if not isinstance(key, str) or not (
            value is None or isinstance(value, bool | int | float | str)
        ):
            raise ValidationFailed(
                _("来源信息格式不正确"), errors={"origin": [_("来源信息应为简单的键值")]}
            )
        summary[key] = value[:DETAIL_MAX] if isinstance(value, str) else value
    return summary


@dataclass
class Cleaned:
    kind: str
    summary: dict
    state: object = None

    @property
    def event(self) -> dict:
        return {"kind": self.kind, **self.summary}


def clean(actor, origin) -> Cleaned:
    """Check an origin (raises ValidationFailed on the `origin` field, or the handler's own)."""
    if origin is None:
        origin = {"kind": "web"}
    if not isinstance(origin, dict) or origin.get("kind") not in KINDS:
        raise ValidationFailed(_("来源不正确"), errors={"origin": [_("未知的来源")]})
    kind = origin["kind"]
    details = {k: v for k, v in origin.items() if k != "kind"}
    handler = _handlers.get(kind)
    if handler is None:
        return Cleaned(kind, _generic(details))
    summary, state = handler.clean(actor, details)
    return Cleaned(kind, summary, state)


def record(ticket, cleaned: Cleaned) -> None:
    handler = _handlers.get(cleaned.kind)
    if handler is not None and handler.record is not None:
        handler.record(ticket, cleaned.state)
