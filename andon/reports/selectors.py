"""Report numbers. Counts, sums and means come from the daily roll-up (`DailyRollup`, one row per
local day × queue × priority × catalog entry × handler × channel, kept by `reports.rollup`), so a
report over a million tickets aggregates a few thousand narrow rows in the database. Percentiles
and the live lists (about to breach, breached now, 我的) read the raw timers and tickets through
their indexes. Python only merges a handful of grouped rows.

Definitions (the page, the API and the exports all read these functions):

* **created** — tickets whose `created_at` falls in the range.
* **resolved** — tickets whose `resolved_at` falls in the range (a reopen clears it, so a ticket
  counts once, when it was last resolved).
* **finished** — resolved, or closed/cancelled without a resolution: COALESCE(resolved_at,
  closed_at). **backlog** at the end of a day = created on or before it and not finished on or
  before it; the series walks back from the backlog at the end of the range with the daily
  created/finished counts.
* **OLA** — response and resolution timers (`OlaTimer`) started in the range, counted against the
  queue whose time they measured. A timer is *met* when `met_at` is set and it never breached,
  *breached* when `breached_at` is set; running and stopped-without-outcome timers are not yet
  decided and are left out of the rates. Business-time durations are the timers'
  `elapsed_seconds` (set when met).
* **reopen rate** — share of the resolved tickets that were reopened at least once.
* Dimensions are the ticket's current ones (queue, priority, catalog entry, handler, channel).
* Scope: `report_scope(user)` — None for everything (admins, observers), else the queue ids the
  person may report on.
* Freshness: the roll-up is refreshed every minute by the worker; `as_of` says when it was last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.models import Department, User
from andon.accounts.permissions import has_perm
from andon.catalog.models import CatalogEntry
from andon.core.errors import PermissionDenied
from andon.ola.models import Metric, OlaTimer, TimerState
from andon.queues.models import Queue, QueueMembership
from andon.queues.selectors import member_queue_ids
from andon.reports import rollup
from andon.reports.histogram import percentile as histogram_percentile
from andon.reports.models import DailyDuration, DailyRollup, LiveRollup
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

    # Days are the desk's (settings.TIME_ZONE): the same days the roll-up counts by.
    @property
    def start_at(self) -> datetime:
        return rollup.day_start(self.start)

    @property
    def end_at(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return rollup.day_start(self.end + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


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


def scoped_rollup(scope, f: ReportFilters) -> QuerySet[DailyRollup]:
    """Roll-up rows under the scope and filters (its columns carry the tickets' names)."""
    if scope is not None and not scope:
        return DailyRollup.objects.none()
    return DailyRollup.objects.filter(_ticket_conditions(scope, f)).order_by()


def scoped_live(scope, f: ReportFilters) -> QuerySet[LiveRollup]:
    if scope is not None and not scope:
        return LiveRollup.objects.none()
    return LiveRollup.objects.filter(_ticket_conditions(scope, f)).order_by()


def scoped_durations(scope, f: ReportFilters) -> QuerySet[DailyDuration] | None:
    """Duration buckets under the scope and queue filter; None when a finer filter (priority,
    catalog entry, handler, channel) asks for more than the histogram knows."""
    if f.catalog_entries or f.priority or f.handler or f.channel:
        return None
    if scope is not None and not scope:
        return DailyDuration.objects.none()
    qs = DailyDuration.objects.filter(day__gte=f.start, day__lte=f.end)
    if scope is not None:
        qs = qs.filter(queue_id__in=scope)
    if f.queue:
        qs = qs.filter(queue_id=f.queue)
    return qs.order_by()


def created_in_range(qs, f: ReportFilters):
    return qs.filter(created_at__gte=f.start_at, created_at__lt=f.end_at)


def as_of() -> datetime | None:
    return rollup.refreshed_at()


# --- sums over the roll-up ---------------------------------------------------------------------

TICKET_COUNTERS = ("created", "urges", "finished", "resolved", "reopened")
OLA_SUMS = tuple(
    f"{metric}_{part}" for metric in OLA_METRICS for part in ("met", "breached", "timed", "seconds")
)


def _sums(names, condition: Q | None = None) -> dict:
    return {name: Coalesce(Sum(name, filter=condition), 0) for name in names}


def _net_sum():
    return Coalesce(Sum(F("created") - F("finished")), 0)


def backlog(scope, f: ReportFilters, by: tuple[str, ...] = ()) -> dict:
    """Open at the end of the range, keyed by the `by` columns (() for one total): open now
    minus what the days after the range added (created − finished). Open now is summed by the
    refresh from the same roll-up, so the two always agree, and a range ending today reads no
    day rows at all."""
    totals: dict = {}
    for sign, rows in (
        (1, scoped_live(scope, f).values(*by).annotate(n=Coalesce(Sum("open"), 0))),
        (-1, scoped_rollup(scope, f).filter(day__gt=f.end).values(*by).annotate(n=_net_sum())),
    ):
        for r in rows:
            key = tuple(r[c] for c in by)
            totals[key] = totals.get(key, 0) + sign * r["n"]
    return totals


def _ola_numbers(row: dict) -> dict:
    out = {}
    for metric in OLA_METRICS:
        met, breached = row[f"{metric}_met"], row[f"{metric}_breached"]
        timed = row[f"{metric}_timed"]
        out[f"{metric}_met"] = met
        out[f"{metric}_breached"] = breached
        out[f"{metric}_met_rate"] = _rate(met, met + breached)
        out[f"mean_{metric}_seconds"] = _round(row[f"{metric}_seconds"] / timed) if timed else None
    return out


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


def duration_percentiles(timers: QuerySet[OlaTimer]) -> dict:
    """p50/p90 of the business seconds response and resolution timers took, exact, from the
    raw timers (a roll-up cannot sum percentiles). One query on PostgreSQL; on SQLite a count
    and an ordered-offset read per metric and percentile."""
    out = {}
    if uses_percentile_cont():
        aggregates = {
            f"p{round(p * 100)}_{metric}_seconds": PercentileCont(
                "elapsed_seconds", p, filter=Q(metric=metric, elapsed_seconds__isnull=False)
            )
            for metric in OLA_METRICS
            for p in PERCENTILES
        }
        return {key: _round(value) for key, value in timers.aggregate(**aggregates).items()}
    for metric in OLA_METRICS:
        ordered = (
            timers.filter(metric=metric, elapsed_seconds__isnull=False)
            .order_by("elapsed_seconds")
            .values_list("elapsed_seconds", flat=True)
        )
        n = ordered.count()
        for p in PERCENTILES:
            out[f"p{round(p * 100)}_{metric}_seconds"] = _round(
                _ordered_offset_percentile(ordered, n, p)
            )
    return out


def histogram_percentiles(buckets: QuerySet[DailyDuration]) -> dict:
    """p50/p90 per metric from the duration histogram (within 2 %, see reports.histogram)."""
    counts: dict[str, list[tuple[int, int]]] = {metric: [] for metric in OLA_METRICS}
    for r in buckets.values("metric", "bucket").annotate(n=Sum("count")):
        counts.setdefault(r["metric"], []).append((r["bucket"], r["n"]))
    return {
        f"p{round(p * 100)}_{metric}_seconds": _round(histogram_percentile(counts[metric], p))
        for metric in OLA_METRICS
        for p in PERCENTILES
    }


def _rate(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


# --- the series and the summary ------------------------------------------------------------


def daily(scope, f: ReportFilters) -> tuple[list[dict], dict]:
    """The series and the range's OLA sums, from one grouped query over the range's days (plus
    the backlog's two small ones).

    Per day: created, resolved, backlog at the end of the day; plus urges (on the tickets
    created that day) and reopened (among those resolved that day)."""
    per_day = {
        rollup.as_date(r["day"]): r
        for r in scoped_rollup(scope, f)
        .filter(day__gte=f.start, day__lte=f.end)
        .values("day")
        .annotate(**_sums(TICKET_COUNTERS), **_sums(OLA_SUMS))
    }
    ola = {name: sum(r[name] for r in per_day.values()) for name in OLA_SUMS}
    open_at_end = backlog(scope, f).get((), 0)
    days = []
    for day in reversed(f.days):
        r = per_day.get(day) or dict.fromkeys(TICKET_COUNTERS, 0)
        days.append(
            {
                "date": day.isoformat(),
                "created": r["created"],
                "resolved": r["resolved"],
                "backlog": open_at_end,
                "urges": r["urges"],
                "reopened": r["reopened"],
            }
        )
        # Walking back one day: undo that day's arrivals and departures.
        open_at_end = open_at_end - r["created"] + r["finished"]
    days.reverse()
    return days, ola


def series(scope, f: ReportFilters) -> list[dict]:
    return daily(scope, f)[0]


def summary(scope, f: ReportFilters, read: tuple[list[dict], dict] | None = None) -> dict:
    """The range's totals; `read` is what `daily()` returned, when the caller has it."""
    days, ola = read or daily(scope, f)
    created = sum(d["created"] for d in days)
    resolved = sum(d["resolved"] for d in days)
    reopened = sum(d["reopened"] for d in days)
    result = {
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
        "as_of": as_of(),
        "created": created,
        "resolved": resolved,
        "backlog": days[-1]["backlog"] if days else 0,
        "urges": sum(d["urges"] for d in days),
        "reopened": reopened,
        "reopen_rate": _rate(reopened, resolved),
        **_ola_numbers(ola),
    }
    buckets = scoped_durations(scope, f)
    if buckets is None:
        timers = scoped_timers(scope, f).filter(started_at__gte=f.start_at, started_at__lt=f.end_at)
        result.update(duration_percentiles(timers))
    else:
        result.update(histogram_percentiles(buckets))
    return result


# --- breakdowns ----------------------------------------------------------------------------

# dimension -> the roll-up column it groups by
DIMENSIONS = {"queue": "queue_id", "priority": "priority", "handler": "assignee_id"}
BREAKDOWN_COUNTERS = ("created", "urges", "resolved", "reopened", "created_resolved")


def _cube(scope, f: ReportFilters, columns: tuple[str, ...]) -> list[dict]:
    """The range's sums grouped by `columns`: one scan of the range's roll-up rows, however
    many breakdowns are read off it."""
    return list(
        scoped_rollup(scope, f)
        .filter(day__gte=f.start, day__lte=f.end)
        .values(*columns)
        .annotate(**_sums(BREAKDOWN_COUNTERS), **_sums(OLA_SUMS))
    )


def breakdowns(scope, f: ReportFilters, by: tuple[str, ...] = tuple(DIMENSIONS)) -> dict:
    """Per queue, priority and/or handler: created, resolved, reopen rate, urges, backlog at the
    end of the range, OLA met/breached and rates, mean business seconds. Every breakdown asked
    for comes from one grouped query over the range plus the backlog's two small ones."""
    columns = tuple(DIMENSIONS[name] for name in by)
    cube = _cube(scope, f, columns)
    open_at_end = backlog(scope, f, columns)
    summed = (*BREAKDOWN_COUNTERS, *OLA_SUMS)
    out = {}
    for index, (name, column) in enumerate(zip(by, columns, strict=True)):
        groups: dict = {}
        for r in cube:
            group = groups.setdefault(r[column], dict.fromkeys(summed, 0))
            for counter in summed:
                group[counter] += r[counter]
        backlog_by_key: dict = {}
        for key, n in open_at_end.items():
            backlog_by_key[key[index]] = backlog_by_key.get(key[index], 0) + n
        rows = []
        for key in set(groups) | set(backlog_by_key):
            group = groups.get(key) or dict.fromkeys(summed, 0)
            open_count = backlog_by_key.get(key, 0)
            if not open_count and not any(group.values()):
                continue  # only history before the range, all of it finished
            rows.append(
                {
                    "key": key,
                    **{c: group[c] for c in ("created", "urges", "resolved", "reopened")},
                    "backlog": open_count,
                    "reopen_rate": _rate(group["reopened"], group["resolved"]),
                    **_ola_numbers(group),
                }
            )
        names = _names(name, [row["key"] for row in rows])
        for row in rows:
            row["name"] = _label(name, row["key"], names)
        out[name] = sorted(rows, key=lambda row, name=name: _sort_key(name, row))
    return out


def breakdown(scope, f: ReportFilters, by: str) -> list[dict]:
    return breakdowns(scope, f, (by,))[by]


def _names(by: str, keys: list) -> dict:
    ids = [k for k in keys if k is not None]
    if by == "queue" and ids:
        return dict(Queue.objects.filter(pk__in=ids).values_list("id", "name"))
    if by == "handler" and ids:
        return {
            pk: display or username
            for pk, display, username in User.objects.filter(pk__in=ids).values_list(
                "id", "display_name", "username"
            )
        }
    return {}


def _label(by: str, key, names: dict) -> str:
    if by == "priority":
        return str(key)
    if key is None:
        return _("（未分配）") if by == "handler" else _("（无队列）")
    return names.get(key) or str(key)


def _sort_key(by, row):
    if by == "priority":
        return (0, str(row["key"]))
    # Biggest load first; the unassigned/no-queue bucket last.
    return (row["key"] is None, -(row["created"] + row["backlog"]), str(row["name"]))


def top_catalog(scope, f: ReportFilters, limit: int = 10) -> list[dict]:
    """The catalog entries most tickets were filed under in the range, with how many of those
    tickets are resolved by now."""
    in_range = scoped_rollup(scope, f).filter(day__gte=f.start, day__lte=f.end)
    rows = list(
        in_range.values("catalog_entry_id")
        .annotate(
            n=Coalesce(Sum("created"), 0),
            resolved_now=Coalesce(Sum("created_resolved"), 0),
            urge_sum=Coalesce(Sum("urges"), 0),
        )
        .filter(n__gt=0)
        .order_by("-n", "catalog_entry_id")
    )
    total = sum(r["n"] for r in rows)
    rows = rows[:limit]
    entries = {
        pk: f"{parent} / {name}" if parent else name
        for pk, name, parent in CatalogEntry.objects.filter(
            pk__in=[r["catalog_entry_id"] for r in rows]
        ).values_list("id", "name", "parent__name")
    }
    return [
        {
            "id": r["catalog_entry_id"],
            "name": entries.get(r["catalog_entry_id"], str(r["catalog_entry_id"])),
            "created": r["n"],
            "resolved": r["resolved_now"],
            "urges": r["urge_sum"],
            "share": _rate(r["n"], total),
        }
        for r in rows
    ]


# --- now: about to breach and breached --------------------------------------------------------

AT_RISK_LIMIT = 50


def at_risk(scope, f: ReportFilters, hours: int = 4, now: datetime | None = None) -> dict:
    """Live timers (date range ignored: this is the desk right now): those due within `hours`
    and those already breached, on unfinished tickets, with a list of each (soonest first).
    The breached count is as of the roll-up's last refresh; the rest is read live."""
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
    due_soon_count = due_soon.aggregate(n=Count("ticket_id", distinct=True))["n"]
    # Breached tickets can be many (a neglected desk); the refresh counts them each minute.
    breached_count = scoped_live(scope, f).aggregate(n=Coalesce(Sum("breached"), 0))["n"]
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
        "due_soon": due_soon_count,
        "breached": breached_count,
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
    days, ola = daily(scope, f)
    by = breakdowns(scope, f)
    return {
        "summary": summary(scope, f, read=(days, ola)),
        "series": days,
        "by_queue": by["queue"],
        "by_priority": by["priority"],
        "by_handler": by["handler"],
        "top_catalog": top_catalog(scope, f),
        "at_risk": at_risk(scope, f, hours=hours),
        "as_of": as_of(),
    }


# --- 我的: a handler's own numbers -----------------------------------------------------------


def my_summary(user, hours: int = 4, now: datetime | None = None) -> dict:
    """My open tickets, those with an OLA target due within `hours`, those breached now, and
    those I resolved this week (since Monday 00:00 local). One query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_start = rollup.day_start(today - timedelta(days=today.weekday()))
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
