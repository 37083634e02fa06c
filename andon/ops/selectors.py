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


@dataclass(frozen=True)
class DeskGauges:
    tickets_created: int
    tickets_resolved: int
    tickets_open: int
    outbox: dict[tuple[str, str], int]  # (channel, state) -> messages, pending and dead only
    ola_due: int
    ola_late: int
    callbacks: dict[str, int]  # state -> events, pending and dead only
    worker: WorkerStatus


def desk_gauges(*, now: datetime | None = None) -> DeskGauges:
    """What /metrics reports from the database: a handful of counts, grouped in the database."""
    from django.db.models import Count, Q

    from andon.notifications.models import OutboxMessage
    from andon.tickets.models import UNFINISHED_STATUSES, Ticket
    from andon.wecom.models import CallbackEvent

    now = now or timezone.now()
    tickets = Ticket.objects.aggregate(
        created=Count("pk"),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
        open=Count("pk", filter=Q(status__in=UNFINISHED_STATUSES)),
    )
    outbox = {
        (row["channel"], row["state"]): row["n"]
        for row in OutboxMessage.objects.filter(
            state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.DEAD]
        )
        .values("channel", "state")
        .annotate(n=Count("pk"))
        .order_by()
    }
    ola = OlaTimer.objects.filter(next_action_at__lte=now).aggregate(
        due=Count("pk"), late=Count("pk", filter=Q(next_action_at__lt=now - stale_after()))
    )
    callbacks = {
        row["state"]: row["n"]
        for row in CallbackEvent.objects.filter(
            state__in=[CallbackEvent.State.PENDING, CallbackEvent.State.DEAD]
        )
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return DeskGauges(
        tickets_created=tickets["created"],
        tickets_resolved=tickets["resolved"],
        tickets_open=tickets["open"],
        outbox=outbox,
        ola_due=ola["due"],
        ola_late=ola["late"],
        callbacks=callbacks,
        worker=worker_status(now=now),
    )
