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

from datetime import datetime, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.models import User
from andon.catalog.models import CatalogEntry
from andon.ola.models import Metric, TimerState
from andon.queues.models import Queue
from andon.reports import rollup
from andon.reports.percentiles import duration_percentiles, histogram_percentiles, rate, rounded
from andon.reports.scope import (
    OLA_METRICS,
    ReportFilters,
    as_of,
    scoped_durations,
    scoped_live,
    scoped_rollup,
    scoped_timers,
)
from andon.tickets.models import OPEN_STATUSES, UNFINISHED_STATUSES, Ticket

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
        out[f"{metric}_met_rate"] = rate(met, met + breached)
        out[f"mean_{metric}_seconds"] = rounded(row[f"{metric}_seconds"] / timed) if timed else None
    return out


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
        "reopen_rate": rate(reopened, resolved),
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
                    "reopen_rate": rate(group["reopened"], group["resolved"]),
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
            "share": rate(r["n"], total),
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
