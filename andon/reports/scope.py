"""Who may report on what, and the report filters as conditions on tickets, timers and the
roll-up tables (andon.reports.selectors reads the numbers through these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.models import Department
from andon.accounts.permissions import has_perm
from andon.core.errors import PermissionDenied
from andon.ola.models import Metric, OlaTimer
from andon.queues.models import QueueMembership
from andon.queues.selectors import member_queue_ids
from andon.reports import rollup
from andon.reports.models import DailyDuration, DailyRollup, LiveRollup
from andon.tickets.models import Ticket

OLA_METRICS = (Metric.RESPONSE, Metric.RESOLUTION)


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
