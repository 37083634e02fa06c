"""Reads of the operations app: is a worker alive, is the OLA engine keeping up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.ola.models import OlaTimer
from andon.ops.models import WorkerHeartbeat


def stale_after() -> timedelta:
    return timedelta(seconds=settings.ANDON_WORKER_STALE_SECONDS)


@dataclass(frozen=True)
class WorkerStatus:
    last_seen: datetime | None
    last_periodic_seen: datetime | None
    alive: int  # workers seen within the stale window
    now: datetime

    @property
    def age_seconds(self) -> float | None:
        return None if self.last_seen is None else (self.now - self.last_seen).total_seconds()

    @property
    def periodic_age_seconds(self) -> float | None:
        if self.last_periodic_seen is None:
            return None
        return (self.now - self.last_periodic_seen).total_seconds()

    @property
    def ok(self) -> bool:
        limit = stale_after().total_seconds()
        return (
            self.age_seconds is not None
            and self.age_seconds <= limit
            and self.periodic_age_seconds is not None
            and self.periodic_age_seconds <= limit
        )

    def problem(self) -> str:
        """Why the workers are not fine, in words (empty when they are)."""
        limit = int(stale_after().total_seconds())
        if self.last_seen is None:
            return _("从未收到后台 worker 的心跳：没有运行 andon worker")
        if self.age_seconds > limit:
            return _("后台 worker 已 %(seconds)d 秒没有心跳（超过 %(limit)d 秒）") % {
                "seconds": self.age_seconds,
                "limit": limit,
            }
        if self.periodic_age_seconds is None or self.periodic_age_seconds > limit:
            return _("没有负责定时任务的 worker（需要一个不带 --no-periodic 的 andon worker）")
        return ""


def worker_status(*, now: datetime | None = None) -> WorkerStatus:
    now = now or timezone.now()
    since = now - stale_after()
    summary = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))
    periodic = WorkerHeartbeat.objects.filter(periodic=True).aggregate(last=Max("seen_at"))
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=since).count()
    return WorkerStatus(
        last_seen=summary["last"], last_periodic_seen=periodic["last"], alive=alive, now=now
    )


def overdue_ola_steps(*, now: datetime | None = None) -> int:
    """OLA steps (warnings, breaches, escalations) due more than the stale window ago and still
    not run: the worker is down or cannot keep up."""
    now = now or timezone.now()
    return OlaTimer.objects.filter(next_action_at__lt=now - stale_after()).count()


def config_notices(request) -> list[tuple[str, str]]:
    """For the configuration home page."""
    notices = []
    status = worker_status()
    if not status.ok:
        notices.append(("danger", status.problem()))
    overdue = overdue_ola_steps()
    if overdue:
        notices.append(
            (
                "warning",
                _("%(count)d 个 OLA 告警步骤已过期超过一分钟仍未执行") % {"count": overdue},
            )
        )
    return notices
