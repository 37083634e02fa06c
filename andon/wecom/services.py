"""Writes for the WeCom integration."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from andon.wecom.models import CallbackEvent


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def record_callback_event(*, message: dict[str, Any], raw_xml: str) -> tuple[CallbackEvent, bool]:
    """Store a verified, decrypted callback; a re-delivery of the same message is stored once.

    Returns the event and whether it is new. The services that act on callbacks (org chart sync,
    customer chats, …) read unprocessed events and mark them processed.
    """
    dedupe_key = hashlib.sha256(raw_xml.encode("utf-8")).hexdigest()
    with transaction.atomic():
        return CallbackEvent.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "received_at": timezone.now(),
                "msg_type": _text(message.get("MsgType"), 64),
                "event": _text(message.get("Event"), 64),
                "change_type": _text(message.get("ChangeType"), 64),
                "from_user": _text(message.get("FromUserName"), 128),
                "agent_id": _text(message.get("AgentID"), 32),
                "payload": message,
            },
        )


def mark_callback_event_processed(*, event_id: int) -> bool:
    """Mark one event handled; False when it was already processed (by another worker)."""
    updated = CallbackEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
        processed_at=timezone.now()
    )
    return bool(updated)
