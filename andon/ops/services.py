"""Writes of the operations app: worker heartbeats (retention lives in andon.ops.retention)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from andon.ops.models import WorkerHeartbeat


def record_heartbeat(
    *, name: str, hostname: str, pid: int, periodic: bool, started_at: datetime, now=None
) -> WorkerHeartbeat:
    """Upsert this worker's row; one small write, so it can run every few seconds."""
    now = now or timezone.now()
    row, _created = WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={
            "hostname": hostname[:150],
            "pid": pid,
            "periodic": periodic,
            "started_at": started_at,
            "seen_at": now,
        },
    )
    return row


def forget_worker(*, name: str) -> None:
    """A worker that stops cleanly removes its row, so the page does not list it as lost."""
    WorkerHeartbeat.objects.filter(name=name).delete()
