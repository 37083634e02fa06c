"""Reads of the auto-confirm / auto-close clocks, for the ticket page and the API."""

from __future__ import annotations

from django.utils import timezone

from andon.followup.models import FollowUpClock
from andon.followup.services import periods


def countdown(ticket, *, now=None) -> dict | None:
    """The ticket's waiting clock as shown: stage, due time, seconds left, reminder."""
    if ticket.status not in ("to_confirm", "done"):
        return None
    clock = FollowUpClock.objects.filter(ticket=ticket).first()
    if clock is None:
        return None
    now = now or timezone.now()
    return {
        "stage": clock.stage,
        "stage_display": clock.get_stage_display(),
        "due_at": clock.due_at,
        "seconds_left": max(0, int((clock.due_at - now).total_seconds())),
        "remind_at": clock.remind_at,
        "reminded_at": clock.reminded_at,
    }


def queue_periods(queue) -> dict:
    confirm_days, close_days = periods(queue.pk)
    return {"confirm_after_working_days": confirm_days, "close_after_days": close_days}
