"""Reads for the WeCom integration."""

from __future__ import annotations

from django.db.models import QuerySet

from andon.wecom.models import CallbackEvent


def unprocessed_callback_events(
    *, msg_type: str | None = None, event: str | None = None
) -> QuerySet[CallbackEvent]:
    """Callback events not yet acted on, oldest first."""
    events = CallbackEvent.objects.filter(processed_at__isnull=True)
    if msg_type is not None:
        events = events.filter(msg_type=msg_type)
    if event is not None:
        events = events.filter(event=event)
    return events.order_by("id")
