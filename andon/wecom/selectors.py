"""Reads for the WeCom integration."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from andon.wecom.models import CallbackEvent, SyncRun


def dead_callback_events(*, limit: int = 50) -> QuerySet[CallbackEvent]:
    """Events the pipeline gave up on, newest first (shown with their error and a retry)."""
    return CallbackEvent.objects.filter(state=CallbackEvent.State.DEAD).order_by("-id")[:limit]


def callback_counts() -> dict[str, int]:
    rows = CallbackEvent.objects.values("state").annotate(n=Count("id")).order_by()
    return {row["state"]: row["n"] for row in rows}


def recent_sync_runs(*, limit: int = 5) -> QuerySet[SyncRun]:
    return SyncRun.objects.select_related("requested_by").order_by("-id")[:limit]
