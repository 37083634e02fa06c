"""The auto-confirm / auto-close clock of each ticket, and the worker's step.

The clock follows the ticket's status from the event pipeline (in the change's transaction):
resolving starts the confirm clock, confirming (by a person or by the clock) starts the close
clock, reopening, closing and cancelling stop it. The worker's periodic sweep (`run_due`) takes
each due clock in its own transaction with the ticket row locked first — the lock every ticket
writer takes — so a requester confirming at the same moment, or a second worker running the same
sweep, waits and then finds the clock gone or not yet due: each step happens once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.followup.models import (
    DEFAULT_CLOSE_DAYS,
    DEFAULT_CONFIRM_DAYS,
    MAX_CLOSE_DAYS,
    MAX_CONFIRM_DAYS,
    FollowUpClock,
    QueueFollowUp,
    Stage,
)
from andon.ola import businesstime
from andon.ola.models import default_weekly_windows
from andon.ola.selectors import calendar_spec, queue_policy
from andon.tickets import events
from andon.tickets import services as ticket_services
from andon.tickets.models import EventKind, Status, Ticket

CLOCK_KINDS = frozenset(
    {
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
    }
)
SWEEP_LIMIT = 200


def periods(queue_id: int | None) -> tuple[int, int]:
    """(confirm working days, close days) of a queue; the defaults without a setting."""
    row = (
        QueueFollowUp.objects.filter(queue_id=queue_id)
        .values_list("confirm_after_working_days", "close_after_days")
        .first()
        if queue_id
        else None
    )
    return row or (DEFAULT_CONFIRM_DAYS, DEFAULT_CLOSE_DAYS)


def _spec(queue_id: int | None):
    """The queue's OLA calendar; without an OLA policy, the usual Monday–Friday office week with
    China's holidays, so "working days" still means working days."""
    policy = queue_policy(queue_id) if queue_id else None
    if policy is not None:
        return calendar_spec(policy.calendar_id)
    return businesstime.build_spec(
        time_zone=settings.TIME_ZONE, weekly=default_weekly_windows(), follows_china_holidays=True
    )


def plan(ticket: Ticket, now) -> dict | None:
    """The clock `ticket` should have now (stage, remind and due times), or None."""
    confirm_days, close_days = periods(ticket.queue_id)
    if ticket.status == Status.TO_CONFIRM and confirm_days:
        last_day_start, due_at = businesstime.nth_working_day(
            _spec(ticket.queue_id), now, confirm_days
        )
        return {
            "stage": Stage.CONFIRM,
            "started_at": now,
            "remind_at": last_day_start,
            "reminded_at": None,
            "due_at": due_at,
        }
    if ticket.status == Status.DONE and close_days:
        return {
            "stage": Stage.CLOSE,
            "started_at": now,
            "remind_at": None,
            "reminded_at": None,
            "due_at": now + timedelta(days=close_days),
        }
    return None


def on_ticket_event(*, ticket: Ticket, event) -> None:
    sync_clock(ticket=ticket, now=event.created_at)


def sync_clock(*, ticket: Ticket, now) -> FollowUpClock | None:
    wanted = plan(ticket, now)
    if wanted is None:
        FollowUpClock.objects.filter(ticket=ticket).delete()
        return None
    clock, _created = FollowUpClock.objects.update_or_create(ticket=ticket, defaults=wanted)
    return clock


# --- the worker ---------------------------------------------------------------------------------


def run_due(*, now=None, limit: int = SWEEP_LIMIT) -> Counter:
    """Remind, confirm and close what is due; returns how many of each were done."""
    now = now or timezone.now()
    due = (
        FollowUpClock.objects.filter(
            Q(due_at__lte=now) | Q(remind_at__lte=now, reminded_at__isnull=True)
        )
        .order_by("due_at")
        .values_list("pk", "ticket_id")[:limit]
    )
    return Counter(step(clock_id=pk, ticket_id=ticket_id, now=now) for pk, ticket_id in due)


@transaction.atomic
def step(*, clock_id: int, ticket_id: int, now) -> str:
    # Ticket first, like every ticket writer, then the clock as it is once the lock is ours.
    if not Ticket.objects.select_for_update(no_key=True).filter(pk=ticket_id).exists():
        return "skipped"
    clock = FollowUpClock.objects.filter(pk=clock_id, ticket_id=ticket_id).first()
    if clock is None:
        return "skipped"
    if clock.due_at <= now:
        if clock.stage == Stage.CONFIRM:
            done = ticket_services.auto_confirm_ticket(
                ticket_id=ticket_id, note=_("提单人未在期限内确认，系统自动确认完成"), now=now
            )
            outcome = "confirmed"
        else:
            done = ticket_services.auto_close_ticket(
                ticket_id=ticket_id, note=_("工单完成后到期，系统自动关闭"), now=now
            )
            outcome = "closed"
        if done is None:  # the status moved on without the pipeline: drop the stale clock
            FollowUpClock.objects.filter(pk=clock.pk).delete()
            return "skipped"
        return outcome
    if clock.remind_at and clock.reminded_at is None and clock.remind_at <= now:
        _remind(clock, now)
        return "reminded"
    return "skipped"


def _remind(clock: FollowUpClock, now) -> None:
    ticket = Ticket.objects.select_related("requester").get(pk=clock.ticket_id)
    if ticket.status != Status.TO_CONFIRM:
        return
    requester = ticket.requester
    when = date_format(timezone.localtime(clock.due_at), "Y-m-d H:i")
    events.record_event(
        ticket=ticket,
        kind=EventKind.CONFIRM_REMINDER,
        actor=None,
        after={
            # The delivery key of notify_alert: one reminder per wait, even if a step repeats.
            "alert": f"followup:{ticket.pk}:{int(clock.started_at.timestamp())}",
            "recipients": [{"id": requester.pk, "name": requester.name}],
            "due_at": clock.due_at.isoformat(),
        },
        note=_("请确认问题是否已解决并评价，%s 后将自动确认完成") % when,
        at=now,
    )
    clock.reminded_at = now
    clock.save(update_fields=["reminded_at"])


# --- the queue's setting ------------------------------------------------------------------------


def _clean_days(value, field: str, maximum: int, errors: dict) -> int | None:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        errors[field] = [_("应为 0 到 %s 之间的整数") % maximum]
        return None
    if not 0 <= number <= maximum or str(value).strip() not in (str(number), f"{number}.0"):
        errors[field] = [_("应为 0 到 %s 之间的整数") % maximum]
        return None
    return number


@transaction.atomic
def save_queue_periods(*, actor, queue, data: dict) -> QueueFollowUp:
    """Set a queue's periods (admins, `queues.manage`). Running clocks keep the times they were
    given; the new periods apply from the next resolution or confirmation."""
    if not has_perm(actor, "queues.manage"):
        raise PermissionDenied(_("没有管理队列的权限"))
    confirm_days, close_days = periods(queue.pk)
    errors: dict = {}
    if "confirm_after_working_days" in data:
        confirm_days = _clean_days(
            data["confirm_after_working_days"],
            "confirm_after_working_days",
            MAX_CONFIRM_DAYS,
            errors,
        )
    if "close_after_days" in data:
        close_days = _clean_days(
            data["close_after_days"], "close_after_days", MAX_CLOSE_DAYS, errors
        )
    if errors:
        raise ValidationFailed(_("自动确认与关闭的设置不正确"), errors=errors)
    row, _created = QueueFollowUp.objects.update_or_create(
        queue=queue,
        defaults={"confirm_after_working_days": confirm_days, "close_after_days": close_days},
    )
    return row
