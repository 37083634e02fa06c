"""The callback handler registry: the one place that says which code acts on which WeCom event.

A handler is registered for (MsgType, Event, ChangeType) — ChangeType "" matches any — with a
function naming the object the event is about (events about one object are processed in order).
This issue registers change_contact; external contacts, group chats, kf and template cards add
theirs the same way from their own module, imported by their AppConfig.ready():

    @handlers.register(event="change_external_contact", object_key=lambda p: ...)
    def on_external_contact(event: CallbackEvent) -> None: ...

A handler runs inside the transaction that marks the event done, so its writes and "processed"
commit together; raising makes the pipeline retry it later with backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from andon.wecom.models import CallbackEvent

Handler = Callable[[CallbackEvent], None]
ObjectKey = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    object_key: ObjectKey | None


_REGISTRY: dict[tuple[str, str, str], Registration] = {}


def register(
    *,
    event: str,
    change_type: str = "",
    msg_type: str = "event",
    object_key: ObjectKey | None = None,
) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        key = (msg_type, event, change_type)
        if key in _REGISTRY and _REGISTRY[key].handler is not handler:
            raise ValueError(f"a WeCom callback handler is already registered for {key}")
        _REGISTRY[key] = Registration(handler, object_key)
        return handler

    return decorate


def _lookup(msg_type: str, event: str, change_type: str) -> Registration | None:
    return _REGISTRY.get((msg_type, event, change_type)) or _REGISTRY.get((msg_type, event, ""))


def handler_for(event: CallbackEvent) -> Handler | None:
    registration = _lookup(event.msg_type, event.event, event.change_type)
    return registration.handler if registration else None


def object_key_for(message: dict[str, Any]) -> str:
    """What the message is about, e.g. "user:zhangsan"; events for one key run in order."""
    msg_type = str(message.get("MsgType") or "")
    event = str(message.get("Event") or "")
    registration = _lookup(msg_type, event, str(message.get("ChangeType") or ""))
    if registration and registration.object_key:
        return registration.object_key(message)[:200]
    return f"{msg_type}:{event}:{message.get('FromUserName') or ''}"[:200]


def registered() -> list[tuple[str, str, str]]:
    return sorted(_REGISTRY)
