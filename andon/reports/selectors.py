"""Report numbers. Every aggregation runs in the database (COUNT/SUM/AVG with FILTER, grouped by
day, queue, priority, handler or catalog entry); Python only merges a handful of grouped rows.

Definitions (the page, the API and the exports all read these functions):

* **created** — tickets whose `created_at` falls in the range.
* **resolved** — tickets whose `resolved_at` falls in the range (a reopen clears it, so a ticket
  counts once, when it was last resolved).
* **finished** — resolved, or closed/cancelled without a resolution: COALESCE(resolved_at,
  closed_at). **backlog** at an instant T = created before T and not finished before T; the
  series walks back from the backlog at the end of the range with the daily created/finished
  counts, so it costs three queries for any number of days.
* **OLA** — response and resolution timers (`OlaTimer`) started in the range, counted against the
  queue whose time they measured. A timer is *met* when `met_at` is set and it never breached,
  *breached* when `breached_at` is set; running and stopped-without-outcome timers are not yet
  decided and are left out of the rates. Business-time durations are the timers'
  `elapsed_seconds` (set when met).
* **reopen rate** — share of the resolved tickets that were reopened at least once.
* Scope: `report_scope(user)` — None for everything (admins, observers), else the queue ids the
  person may report on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.models import Department
from andon.accounts.permissions import has_perm
from andon.core.errors import PermissionDenied
from andon.ola.models import Metric, OlaTimer, TimerState
from andon.queues.models import QueueMembership
from andon.queues.selectors import member_queue_ids
from andon.tickets.models import OPEN_STATUSES, UNFINISHED_STATUSES, Ticket

PERCENTILES = (0.5, 0.9)
OLA_METRICS = (Metric.RESPONSE, Metric.RESOLUTION)


# --- scope and filters -------------------------------------------------------------------------


def sees_all_reports(user) -> bool:
    return has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage")


def led_department_ids(user) -> set[int]:
    """Departments the user leads, with every sub-department (two queries, any depth)."""
    led = set(Department.objects.filter(leaders=user).values_list("id", flat=True))
    if not led:
        return set()
    children: dict[int, list[int]] = {}
    for pk, parent_id in Department.objects.filter(parent__isnull=False).values_list(
        "id", "parent_id"
    ):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(led), list(led)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def report_scope(user) -> set[int] | None:
    """Queue ids this person's reports cover; None means every ticket.

    A handler sees their own queues; a lead (a department leader) also the queues whose members
    belong to their departments (sub-departments included); admins and observers everything."""
    if not has_perm(user, "reports.view"):
        raise PermissionDenied(_("没有权限：%s") % "reports.view")
    if sees_all_reports(user):
        return None
    queue_ids = set(member_queue_ids(user))
    departments = led_department_ids(user)
    if departments:
        queue_ids |= set(
            QueueMembership.objects.filter(user__main_department_id__in=departments).values_list(
                "queue_id", flat=True
            )
        )
    return queue_ids


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    queue: int | None = None
    catalog_entries: tuple[int, ...] = field(default_factory=tuple)  # leaf ids; empty = any
    priority: str | None = None
    handler: int | None = None
    channel: str | None = None

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return local_midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def default_range(today: date | None = None, days: int = 30) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=days - 1), today


def _ticket_conditions(scope, f: ReportFilters, prefix: str = "", queue_field=None) -> Q:
    """The filters as a condition on tickets (prefix "ticket__" when reading from timers)."""
    condition = Q()
    queue_field = queue_field or f"{prefix}queue_id"
    if scope is not None:
        condition &= Q(**{f"{queue_field}__in": scope})
    if f.queue:
        condition &= Q(**{queue_field: f.queue})
    if f.catalog_entries:
        condition &= Q(**{f"{prefix}catalog_entry_id__in": f.catalog_entries})
    if f.priority:
        condition &= Q(**{f"{prefix}priority": f.priority})
    if f.handler:
        condition &= Q(**{f"{prefix}assignee_id": f.handler})
    if f.channel:
        condition &= Q(**{f"{prefix}channel": f.channel})
    return condition


def finished_expression():
    return Coalesce("resolved_at", "closed_at")


def scoped_tickets(scope, f: ReportFilters) -> QuerySet[Ticket]:
    if scope is not None and not scope:
        return Ticket.objects.none()
    return Ticket.objects.filter(_ticket_conditions(scope, f)).order_by()


def scoped_timers(scope, f: ReportFilters) -> QuerySet[OlaTimer]:
    """Response and resolution timers: by the queue whose time they measured."""
    if scope is not None and not scope:
        return OlaTimer.objects.none()
    return OlaTimer.objects.filter(
        _ticket_conditions(scope, f, prefix="ticket__", queue_field="queue_id"),
        metric__in=OLA_METRICS,
    ).order_by()


def created_in_range(qs, f: ReportFilters):
    return qs.filter(created_at__gte=f.start_at, created_at__lt=f.end_at)


def finished_in_range(qs, f: ReportFilters):
    return qs.annotate(finished_at=finished_expression()).filter(
        finished_at__gte=f.start_at, finished_at__lt=f.end_at
    )


def backlog_at(qs, instant: datetime):
    """Tickets open at `instant`: created before it and not finished before it."""
    return qs.annotate(finished_at=finished_expression()).filter(
        Q(finished_at__isnull=True) | Q(finished_at__gte=instant), created_at__lt=instant
    )


# --- percentiles: percentile_cont on PostgreSQL, an ordered offset elsewhere ----------------


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the nearest ranks)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        if not 0 <= float(percentile) <= 1:
            raise ValueError("percentile must be between 0 and 1")
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


def uses_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


def percentile_key(metric: str, p: float) -> str:
    return f"{metric}_p{round(p * 100)}"


def _ordered_offset_percentile(values_qs, n: int, p: float) -> float | None:
    """percentile_cont over an ordered column by reading the one or two rows around the rank."""
    if n <= 0:
        return None
    position = p * (n - 1)
    low, high = math.floor(position), math.ceil(position)
    rows = list(values_qs[low : high + 1])
    if not rows:
        return None
    if len(rows) == 1 or low == high:
        return float(rows[0])
    return float(rows[0]) + (float(rows[1]) - float(rows[0])) * (position - low)


def duration_stats(timers: QuerySet[OlaTimer], f: ReportFilters | None = None) -> dict:
    """For response and resolution timers: met, breached, met rate, mean and percentiles of the
    business seconds they took. One aggregate query on PostgreSQL; on SQLite the percentiles add
    one ordered-offset query each."""
    aggregates = {}
    for metric in OLA_METRICS:
        of_metric = Q(metric=metric)
        timed = of_metric & Q(elapsed_seconds__isnull=False)
        aggregates[f"{metric}_met"] = Count(
            "id", filter=of_metric & Q(met_at__isnull=False, breached_at__isnull=True)
        )
        aggregates[f"{metric}_breached"] = Count(
            "id", filter=of_metric & Q(breached_at__isnull=False)
        )
        aggregates[f"{metric}_timed"] = Count("id", filter=timed)
        aggregates[f"{metric}_mean"] = Avg("elapsed_seconds", filter=timed)
        if uses_percentile_cont():
            for p in PERCENTILES:
                aggregates[percentile_key(metric, p)] = PercentileCont(
                    "elapsed_seconds", p, filter=timed
                )
    row = timers.aggregate(**aggregates)
    if not uses_percentile_cont():
        for metric in OLA_METRICS:
            ordered = (
                timers.filter(metric=metric, elapsed_seconds__isnull=False)
                .order_by("elapsed_seconds")
                .values_list("elapsed_seconds", flat=True)
            )
            for p in PERCENTILES:
                row[percentile_key(metric, p)] = _ordered_offset_percentile(
                    ordered, row[f"{metric}_timed"], p
                )
    out = {}
    for metric in OLA_METRICS:
        met, breached = row[f"{metric}_met"], row[f"{metric}_breached"]
        out[f"{metric}_met"] = met
        out[f"{metric}_breached"] = breached
        out[f"{metric}_met_rate"] = _rate(met, met + breached)
        out[f"mean_{metric}_seconds"] = _round(row[f"{metric}_mean"])
        for p in PERCENTILES:
            key = percentile_key(metric, p)
            out[f"p{round(p * 100)}_{metric}_seconds"] = _round(row[key])
    return out


def _rate(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


# --- the series and the summary ------------------------------------------------------------


def _local_date(field_name_or_expr):
    return TruncDate(field_name_or_expr, tzinfo=timezone.get_current_timezone())


def series(scope, f: ReportFilters) -> list[dict]:
    """Per day: created, resolved, backlog at the end of the day; plus urges (on the tickets
    created that day) and reopened (among those resolved that day). Three queries."""
    tickets = scoped_tickets(scope, f)
    created_rows = (
        created_in_range(tickets, f)
        .annotate(day=_local_date("created_at"))
        .values("day")
        .annotate(created=Count("id"), urges=Coalesce(Sum("urge_count"), 0))
    )
    finished_rows = (
        finished_in_range(tickets, f)
        .annotate(day=_local_date(F("finished_at")))
        .values("day")
        .annotate(
            finished=Count("id"),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            reopened=Count("id", filter=Q(resolved_at__isnull=False, reopen_count__gt=0)),
        )
    )
    created = {_as_date(r["day"]): r for r in created_rows}
    finished = {_as_date(r["day"]): r for r in finished_rows}
    backlog = backlog_at(tickets, f.end_at).count()
    days = []
    for day in reversed(f.days):
        c, d = created.get(day, {}), finished.get(day, {})
        days.append(
            {
                "date": day.isoformat(),
                "created": c.get("created", 0),
                "resolved": d.get("resolved", 0),
                "backlog": backlog,
                "urges": c.get("urges", 0),
                "reopened": d.get("reopened", 0),
            }
        )
        # Walking back one day: undo that day's arrivals and departures.
        backlog = backlog - c.get("created", 0) + d.get("finished", 0)
    days.reverse()
    return days


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def summary(scope, f: ReportFilters, days: list[dict] | None = None) -> dict:
    days = series(scope, f) if days is None else days
    created = sum(d["created"] for d in days)
    resolved = sum(d["resolved"] for d in days)
    reopened = sum(d["reopened"] for d in days)
    result = {
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
        "created": created,
        "resolved": resolved,
        "backlog": days[-1]["backlog"] if days else 0,
        "urges": sum(d["urges"] for d in days),
        "reopened": reopened,
        "reopen_rate": _rate(reopened, resolved),
    }
    timers = scoped_timers(scope, f).filter(started_at__gte=f.start_at, started_at__lt=f.end_at)
    result.update(duration_stats(timers))
    return result


# --- breakdowns ----------------------------------------------------------------------------

# dimension -> (ticket group field, ticket label field, timer group field, timer label field)
DIMENSIONS = {
    "queue": ("queue_id", "queue__name", "queue_id", "queue__name"),
    "priority": ("priority", None, "ticket__priority", None),
    "handler": (
        "assignee_id",
        "assignee__display_name",
        "ticket__assignee_id",
        "ticket__assignee__display_name",
    ),
}
USERNAME_FIELDS = {"handler": ("assignee__username", "ticket__assignee__username")}


def breakdown(scope, f: ReportFilters, by: str) -> list[dict]:
    """Per queue, priority or handler: created, resolved, reopen rate, urges, backlog at the end
    of the range, OLA met/breached and rates, mean business seconds. Four grouped queries."""
    group, label, timer_group, timer_label = DIMENSIONS[by]
    tickets = scoped_tickets(scope, f)
    label_fields = [x for x in (label, USERNAME_FIELDS.get(by, (None,))[0]) if x]
    timer_label_fields = [x for x in (timer_label, USERNAME_FIELDS.get(by, (None, None))[1]) if x]

    rows: dict = {}

    def row_for(key, names: dict):
        if key not in rows:
            rows[key] = {
                "key": key,
                "name": _label(by, key, names),
                "created": 0,
                "resolved": 0,
                "reopened": 0,
                "urges": 0,
                "backlog": 0,
                "response_met": 0,
                "response_breached": 0,
                "resolution_met": 0,
                "resolution_breached": 0,
                "mean_response_seconds": None,
                "mean_resolution_seconds": None,
            }
        return rows[key]

    def names_of(record, fields, group_field):
        return {
            "key": record[group_field],
            "name": record.get(fields[0]) if fields else None,
            "username": record.get(fields[1]) if len(fields) > 1 else None,
        }

    for r in (
        created_in_range(tickets, f)
        .values(group, *label_fields)
        .annotate(n=Count("id"), urges=Coalesce(Sum("urge_count"), 0))
    ):
        row = row_for(r[group], names_of(r, label_fields, group))
        row["created"], row["urges"] = r["n"], r["urges"]
    for r in (
        finished_in_range(tickets, f)
        .filter(resolved_at__isnull=False)
        .values(group, *label_fields)
        .annotate(n=Count("id"), reopened=Count("id", filter=Q(reopen_count__gt=0)))
    ):
        row = row_for(r[group], names_of(r, label_fields, group))
        row["resolved"], row["reopened"] = r["n"], r["reopened"]
    for r in backlog_at(tickets, f.end_at).values(group, *label_fields).annotate(n=Count("id")):
        row_for(r[group], names_of(r, label_fields, group))["backlog"] = r["n"]

    timers = scoped_timers(scope, f).filter(started_at__gte=f.start_at, started_at__lt=f.end_at)
    aggregates = {}
    for metric in OLA_METRICS:
        of_metric = Q(metric=metric)
        aggregates[f"{metric}_met"] = Count(
            "id", filter=of_metric & Q(met_at__isnull=False, breached_at__isnull=True)
        )
        aggregates[f"{metric}_breached"] = Count(
            "id", filter=of_metric & Q(breached_at__isnull=False)
        )
        aggregates[f"mean_{metric}_seconds"] = Avg(
            "elapsed_seconds", filter=of_metric & Q(elapsed_seconds__isnull=False)
        )
    for r in timers.values(timer_group, *timer_label_fields).annotate(**aggregates):
        row = row_for(r[timer_group], names_of(r, timer_label_fields, timer_group))
        for metric in OLA_METRICS:
            row[f"{metric}_met"] = r[f"{metric}_met"]
            row[f"{metric}_breached"] = r[f"{metric}_breached"]
            row[f"mean_{metric}_seconds"] = _round(r[f"mean_{metric}_seconds"])

    for row in rows.values():
        row["reopen_rate"] = _rate(row["reopened"], row["resolved"])
        for metric in OLA_METRICS:
            met, breached = row[f"{metric}_met"], row[f"{metric}_breached"]
            row[f"{metric}_met_rate"] = _rate(met, met + breached)
    return sorted(rows.values(), key=lambda r: _sort_key(by, r))


def _label(by: str, key, names: dict) -> str:
    if by == "priority":
        return str(key)
    if key is None:
        return _("（未分配）") if by == "handler" else _("（无队列）")
    return names.get("name") or names.get("username") or str(key)


def _sort_key(by, row):
    if by == "priority":
        return (0, str(row["key"]))
    # Biggest load first; the unassigned/no-queue bucket last.
    return (row["key"] is None, -(row["created"] + row["backlog"]), str(row["name"]))


def top_catalog(scope, f: ReportFilters, limit: int = 10) -> list[dict]:
    """The catalog entries most tickets were filed under in the range, with how many of those
    tickets are resolved by now."""
    rows = (
        created_in_range(scoped_tickets(scope, f), f)
        .values("catalog_entry_id", "catalog_entry__name", "catalog_entry__parent__name")
        .annotate(
            created=Count("id"),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            urges=Coalesce(Sum("urge_count"), 0),
        )
        .order_by("-created", "catalog_entry_id")[:limit]
    )
    total = created_in_range(scoped_tickets(scope, f), f).count() if rows else 0
    out = []
    for r in rows:
        parent = r["catalog_entry__parent__name"]
        name = r["catalog_entry__name"]
        out.append(
            {
                "id": r["catalog_entry_id"],
                "name": f"{parent} / {name}" if parent else name,
                "created": r["created"],
                "resolved": r["resolved"],
                "urges": r["urges"],
                "share": _rate(r["created"], total),
            }
        )
    return out


# --- now: about to breach and breached --------------------------------------------------------

AT_RISK_LIMIT = 50


def at_risk(scope, f: ReportFilters, hours: int = 4, now: datetime | None = None) -> dict:
    """Live timers (date range ignored: this is the desk right now): those due within `hours`
    and those already breached, on unfinished tickets, with a list of each (soonest first)."""
    now = now or timezone.now()
    timers = (
        scoped_timers(scope, f)
        .filter(active=True, ticket__status__in=UNFINISHED_STATUSES)
        .exclude(metric=Metric.URGE)
    )
    due_soon = timers.filter(
        state=TimerState.RUNNING, due_at__gte=now, due_at__lt=now + timedelta(hours=hours)
    )
    breached = timers.filter(state=TimerState.BREACHED)
    counts = timers.aggregate(
        due_soon=Count(
            "ticket_id",
            distinct=True,
            filter=Q(
                state=TimerState.RUNNING,
                due_at__gte=now,
                due_at__lt=now + timedelta(hours=hours),
            ),
        ),
        breached=Count("ticket_id", distinct=True, filter=Q(state=TimerState.BREACHED)),
    )
    fields = (
        "id",
        "ticket_id",
        "ticket__title",
        "ticket__priority",
        "ticket__status",
        "ticket__assignee__display_name",
        "ticket__assignee__username",
        "queue__name",
        "metric",
        "due_at",
        "breached_at",
    )
    return {
        "hours": hours,
        "due_soon": counts["due_soon"],
        "breached": counts["breached"],
        "due_soon_list": [
            _timer_row(r) for r in due_soon.order_by("due_at", "id").values(*fields)[:AT_RISK_LIMIT]
        ],
        "breached_list": [
            _timer_row(r)
            for r in breached.order_by("breached_at", "id").values(*fields)[:AT_RISK_LIMIT]
        ],
    }


def _timer_row(r: dict) -> dict:
    from andon.tickets.models import format_number

    return {
        "ticket": r["ticket_id"],
        "number": format_number(r["ticket_id"]),
        "title": r["ticket__title"],
        "priority": r["ticket__priority"],
        "status": r["ticket__status"],
        "assignee": r["ticket__assignee__display_name"] or r["ticket__assignee__username"] or "",
        "queue": r["queue__name"],
        "metric": r["metric"],
        "due_at": r["due_at"],
        "breached_at": r["breached_at"],
    }


# --- the whole page --------------------------------------------------------------------------


def full_report(scope, f: ReportFilters, hours: int = 4) -> dict:
    days = series(scope, f)
    return {
        "summary": summary(scope, f, days=days),
        "series": days,
        "by_queue": breakdown(scope, f, "queue"),
        "by_priority": breakdown(scope, f, "priority"),
        "by_handler": breakdown(scope, f, "handler"),
        "top_catalog": top_catalog(scope, f),
        "at_risk": at_risk(scope, f, hours=hours),
    }


# --- 我的: a handler's own numbers -----------------------------------------------------------


def my_summary(user, hours: int = 4, now: datetime | None = None) -> dict:
    """My open tickets, those with an OLA target due within `hours`, those breached now, and
    those I resolved this week (since Monday 00:00 local). One query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_start = local_midnight(today - timedelta(days=today.weekday()))
    live = Q(
        ola_timers__active=True,
        ola_timers__metric__in=OLA_METRICS,
        status__in=UNFINISHED_STATUSES,
    )
    return Ticket.objects.filter(assignee=user).aggregate(
        open=Count("id", distinct=True, filter=Q(status__in=OPEN_STATUSES)),
        due_soon=Count(
            "id",
            distinct=True,
            filter=live
            & Q(
                ola_timers__state=TimerState.RUNNING,
                ola_timers__due_at__gte=now,
                ola_timers__due_at__lt=now + timedelta(hours=hours),
            ),
        ),
        breached=Count("id", distinct=True, filter=live & Q(ola_timers__state=TimerState.BREACHED)),
        resolved_week=Count("id", distinct=True, filter=Q(resolved_at__gte=week_start)),
    ) | {"hours": hours}
