"""Keeping `DailyRollup` true.

Every ticket change goes through `tickets.events.record_event`; `on_ticket_event` here is an
after-commit subscriber of that pipeline (the worker runs it, at least once, from the event's
durable `fanout_pending` flag): it appends the local days whose numbers the change may move (the
ticket's creation day, its finishing day before and after, the start days of its OLA timers) to
`RollupDirtyDay`. `refresh()` — run by the worker every minute and by `andon reports_rollup` —
recomputes those days from the raw tickets and timers. A day is always recomputed whole, so a
lost or repeated refresh can never skew a count; `rebuild()` recomputes everything.

Why the dirty rows are read, then deleted by id, then the days recomputed: a change committed
before the read is seen by the recompute (which starts later); a change committed after the read
keeps its dirty row, so the next refresh picks it up. Nothing is lost between the statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from andon.ola.models import Metric, OlaTimer, TimerState
from andon.reports.histogram import bucket_expression
from andon.reports.models import (
    DailyDuration,
    DailyRollup,
    LiveRollup,
    RollupDirtyDay,
    RollupState,
)
from andon.tickets.models import UNFINISHED_STATUSES, Ticket

DIMENSIONS = ("queue_id", "priority", "catalog_entry_id", "assignee_id", "channel")
TIMER_DIMENSIONS = (
    "queue_id",  # the queue whose time the timer measured, not the ticket's queue now
    "ticket__priority",
    "ticket__catalog_entry_id",
    "ticket__assignee_id",
    "ticket__channel",
)
COUNTERS = tuple(
    f.name
    for f in DailyRollup._meta.concrete_fields
    if f.name not in ("id", "day", "queue", "priority", "catalog_entry", "assignee", "channel")
)
DAYS_PER_REFRESH = 400  # a refresh that finds more leaves the rest for the next run
BATCH = 2000


def report_timezone():
    """Days are local to the desk's configured time zone (settings.TIME_ZONE)."""
    return timezone.get_default_timezone()


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, report_timezone()).date()


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), report_timezone())


# --- marking ------------------------------------------------------------------------------


def on_ticket_event(*, ticket, event) -> None:
    """After commit, from the worker, for each ticket event (see ReportsConfig). Marking a day
    twice is harmless: a day is always recomputed whole."""
    moments = [ticket.created_at, ticket.resolved_at or ticket.closed_at]
    # A reopen clears resolved_at: the day it used to count on must be recomputed too.
    moments += [parse_datetime(event.before.get(key) or "") for key in ("resolved_at", "closed_at")]
    moments += OlaTimer.objects.filter(ticket=ticket).values_list("started_at", flat=True)
    mark_days(local_day(m) for m in moments if m is not None)


def mark_days(days: Iterable[date]) -> None:
    RollupDirtyDay.objects.bulk_create([RollupDirtyDay(day=d) for d in sorted(set(days))])


# --- recomputing --------------------------------------------------------------------------


def _day_of(expression):
    return TruncDate(expression, tzinfo=report_timezone())


def _collect(start: datetime | None, end: datetime | None) -> dict[tuple, dict]:
    """Roll-up rows for the days in [start, end) (everything when both are None), by
    (day, *DIMENSIONS). Three grouped queries: created tickets, finished tickets, timers."""
    rows: dict[tuple, dict] = {}

    def within(field: str) -> Q:
        condition = Q()
        if start is not None:
            condition &= Q(**{f"{field}__gte": start})
        if end is not None:
            condition &= Q(**{f"{field}__lt": end})
        return condition

    def add(record: dict, dimensions: tuple[str, ...], counters: dict) -> None:
        key = (record["rollup_day"], *(record[d] for d in dimensions))
        row = rows.setdefault(key, dict.fromkeys(COUNTERS, 0))
        for name, value in counters.items():
            row[name] += value or 0

    created = (
        Ticket.objects.filter(within("created_at"))
        .annotate(rollup_day=_day_of("created_at"))
        .values("rollup_day", *DIMENSIONS)
        .annotate(
            n=Count("id"),
            urge_sum=Sum("urge_count"),
            resolved_now=Count("id", filter=Q(resolved_at__isnull=False)),
        )
        .order_by()
    )
    for r in created:
        add(
            r,
            DIMENSIONS,
            {"created": r["n"], "urges": r["urge_sum"], "created_resolved": r["resolved_now"]},
        )

    finished = (
        Ticket.objects.annotate(finished_at=Coalesce("resolved_at", "closed_at"))
        .filter(within("finished_at"), finished_at__isnull=False)
        .annotate(rollup_day=_day_of("finished_at"))
        .values("rollup_day", *DIMENSIONS)
        .annotate(
            n=Count("id"),
            resolved_n=Count("id", filter=Q(resolved_at__isnull=False)),
            reopened_n=Count("id", filter=Q(resolved_at__isnull=False, reopen_count__gt=0)),
        )
        .order_by()
    )
    for r in finished:
        add(
            r,
            DIMENSIONS,
            {"finished": r["n"], "resolved": r["resolved_n"], "reopened": r["reopened_n"]},
        )

    aggregates = {}
    for metric in (Metric.RESPONSE, Metric.RESOLUTION):
        of_metric = Q(metric=metric)
        timed = of_metric & Q(elapsed_seconds__isnull=False)
        aggregates[f"{metric}_met"] = Count(
            "id", filter=of_metric & Q(met_at__isnull=False, breached_at__isnull=True)
        )
        aggregates[f"{metric}_breached"] = Count(
            "id", filter=of_metric & Q(breached_at__isnull=False)
        )
        aggregates[f"{metric}_timed"] = Count("id", filter=timed)
        aggregates[f"{metric}_seconds"] = Sum("elapsed_seconds", filter=timed)
    timers = (
        OlaTimer.objects.filter(
            within("started_at"), metric__in=(Metric.RESPONSE, Metric.RESOLUTION)
        )
        .annotate(rollup_day=_day_of("started_at"))
        .values("rollup_day", *TIMER_DIMENSIONS)
        .annotate(**aggregates)
        .order_by()
    )
    for r in timers:
        add(r, TIMER_DIMENSIONS, {name: r[name] for name in aggregates})
    return rows


def as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _write(rows: dict[tuple, dict]) -> int:
    created = DailyRollup.objects.bulk_create(
        [
            DailyRollup(
                day=as_date(key[0]),
                **dict(zip(DIMENSIONS, key[1:], strict=True)),
                **counters,
            )
            for key, counters in rows.items()
            if any(counters.values())
        ],
        batch_size=BATCH,
    )
    return len(created)


def _write_durations(start: datetime | None, end: datetime | None) -> None:
    """The day's timers by (queue, metric, duration bucket): one grouped query."""
    timers = OlaTimer.objects.filter(
        metric__in=(Metric.RESPONSE, Metric.RESOLUTION), elapsed_seconds__isnull=False
    )
    if start is not None:
        timers = timers.filter(started_at__gte=start, started_at__lt=end)
    grouped = (
        timers.annotate(rollup_day=_day_of("started_at"), bucket=bucket_expression())
        .values("rollup_day", "queue_id", "metric", "bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    DailyDuration.objects.bulk_create(
        [
            DailyDuration(
                day=as_date(r["rollup_day"]),
                queue_id=r["queue_id"],
                metric=r["metric"],
                bucket=r["bucket"],
                count=r["n"],
            )
            for r in grouped
        ],
        batch_size=BATCH,
    )


def recompute_day(day: date) -> None:
    start, end = day_start(day), day_start(day + timedelta(days=1))
    DailyRollup.objects.filter(day=day).delete()
    DailyDuration.objects.filter(day=day).delete()
    _write(_collect(start, end))
    _write_durations(start, end)


def _refresh_live() -> None:
    """Open tickets (from the roll-up itself, so a backlog read from both always adds up) and
    breached unfinished tickets (from the live timers), by dimension."""
    rows: dict[tuple, dict] = {}
    for r in (
        DailyRollup.objects.values(*DIMENSIONS)
        .annotate(n=Sum(F("created") - F("finished")))
        .exclude(n=0)
        .order_by()
    ):
        rows.setdefault(tuple(r[d] for d in DIMENSIONS), {"open": 0, "breached": 0})["open"] = r[
            "n"
        ]
    for r in (
        OlaTimer.objects.filter(
            active=True,
            state=TimerState.BREACHED,
            metric__in=(Metric.RESPONSE, Metric.RESOLUTION),
            ticket__status__in=UNFINISHED_STATUSES,
        )
        .values(*TIMER_DIMENSIONS)
        .annotate(n=Count("ticket_id", distinct=True))
        .order_by()
    ):
        key = tuple(r[d] for d in TIMER_DIMENSIONS)
        rows.setdefault(key, {"open": 0, "breached": 0})["breached"] = r["n"]
    LiveRollup.objects.all().delete()
    LiveRollup.objects.bulk_create(
        [
            LiveRollup(**dict(zip(DIMENSIONS, key, strict=True)), **counts)
            for key, counts in rows.items()
        ],
        batch_size=BATCH,
    )


def _lock_state(wait: bool):
    """The state row, locked for this transaction; None when another refresh holds it."""
    RollupState.objects.get_or_create(pk=1)
    qs = RollupState.objects.filter(pk=1)
    if not wait and connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True).first()
    return qs.select_for_update().first()


def refresh(*, now: datetime | None = None) -> int:
    """Recompute the days marked dirty; returns how many were recomputed (0 when another
    refresh is running). The first refresh after installing or upgrading rebuilds everything."""
    with transaction.atomic():
        state = _lock_state(wait=False)
        if state is None:
            return 0
        if state.refreshed_at is None:
            _rebuild_locked(state, now)
            return 1
        marks = list(RollupDirtyDay.objects.order_by("day").values_list("id", "day"))
        days = sorted({day for _, day in marks})[:DAYS_PER_REFRESH]
        chosen = set(days)
        _forget([pk for pk, day in marks if day in chosen])
        for day in days:
            recompute_day(day)
        if days:
            _refresh_live()
        _stamp(state, now)
    return len(days)


def rebuild(*, now: datetime | None = None) -> int:
    """Recompute the whole table from the raw tickets and timers; returns the rows written."""
    with transaction.atomic():
        return _rebuild_locked(_lock_state(wait=True), now)


def _rebuild_locked(state: RollupState, now) -> int:
    _forget(list(RollupDirtyDay.objects.values_list("id", flat=True)))
    DailyRollup.objects.all().delete()
    DailyDuration.objects.all().delete()
    written = _write(_collect(None, None))
    _write_durations(None, None)
    _refresh_live()
    _stamp(state, now)
    return written


def _forget(mark_ids: list[int]) -> None:
    for chunk in range(0, len(mark_ids), BATCH):
        RollupDirtyDay.objects.filter(id__in=mark_ids[chunk : chunk + BATCH]).delete()


def _stamp(state: RollupState, now) -> None:
    state.refreshed_at = now or timezone.now()
    state.save(update_fields=["refreshed_at"])


def refreshed_at() -> datetime | None:
    return RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
