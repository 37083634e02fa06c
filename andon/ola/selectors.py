"""Reads of the OLA area: calendars with their warnings, a queue's policy, and a ticket's timers as
the ticket page and the API show them (remaining business time now, level, next step)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone

from andon.core import config_cache
from andon.ola.businesstime import business_seconds_between, is_business_time, spec_for
from andon.ola.models import BusinessCalendar, CalendarException, OlaPolicy, OlaTimer, TimerState


def calendars_with_exceptions():
    return BusinessCalendar.objects.prefetch_related(
        Prefetch("exceptions", queryset=CalendarException.objects.order_by("date"))
    ).order_by("id")


def calendar_or_none(calendar_id) -> BusinessCalendar | None:
    if not calendar_id:
        return None
    return calendars_with_exceptions().filter(pk=calendar_id).first()


def warnings_for(calendar: BusinessCalendar) -> list[str]:
    # Imported here: the calendar services read the engine, which reads its configuration here.
    from andon.ola.calendar_services import calendar_warnings

    return calendar_warnings(calendar)


def policy_for_queue(queue) -> OlaPolicy | None:
    return OlaPolicy.objects.filter(queue=queue).select_related("calendar").first()


def queue_policy(queue_id: int) -> OlaPolicy | None:
    """The queue's OLA policy (None without one), as the engine applies it; cached until a
    policy is saved."""
    return config_cache.get(
        config_cache.OLA_POLICIES,
        ("policy", queue_id),
        lambda: OlaPolicy.objects.filter(queue_id=queue_id).first(),
    )


def calendar_spec(calendar_id: int):
    """The business-time spec of a calendar (its week, exception dates and holiday package),
    cached until a calendar or its exceptions change. Specs are immutable, so one is shared."""

    def load():
        calendar = BusinessCalendar.objects.prefetch_related("exceptions").get(pk=calendar_id)
        return spec_for(calendar)

    return config_cache.get(config_cache.CALENDARS, ("spec", calendar_id), load, immutable=True)


# --- a ticket's timers -----------------------------------------------------------------------


def _display_state(timer: OlaTimer) -> str:
    """running / warning / paused / breached / met / stopped: what the page colours by."""
    if timer.state == TimerState.RUNNING and timer.level >= 0:
        return "warning"
    return timer.state


def timer_view(timer: OlaTimer, spec, now) -> dict:
    """One timer as shown to people: remaining business seconds *now* (0 once due), business
    seconds overdue, whether the clock is ticking at this moment, and the next step."""
    remaining = None
    overdue = None
    ticking = False
    if timer.state == TimerState.RUNNING and timer.due_at is not None:
        due = timer.due_at
        remaining = business_seconds_between(spec, now, due) if now < due else 0
        ticking = timer.active and timer.paused_at is None and is_business_time(spec, now)
    elif timer.state == TimerState.PAUSED:
        remaining = timer.remaining_seconds or 0
    elif timer.state == TimerState.MET:
        remaining = timer.remaining_seconds
    if timer.state == TimerState.BREACHED and timer.breached_at is not None:
        end = timer.met_at or now
        start = timer.breached_at
        overdue = business_seconds_between(spec, start, end) if end > start else 0
        ticking = timer.active and timer.paused_at is None and is_business_time(spec, now)
    next_step = None
    if timer.active and timer.next_action_at is not None:
        next_step = "warning" if timer.level < 0 else "breach" if timer.level == 0 else "escalation"
    return {
        "id": timer.pk,
        "metric": timer.metric,
        "metric_display": timer.get_metric_display(),
        "queue": {"id": timer.queue_id, "name": timer.queue.name},
        "state": timer.state,
        "state_display": timer.get_state_display(),
        "display_state": _display_state(timer),
        "active": timer.active,
        "paused": timer.paused_at is not None or timer.state == TimerState.PAUSED,
        "target_seconds": timer.target_seconds,
        "started_at": timer.started_at,
        "due_at": timer.due_at,
        "warn_at": timer.warn_at,
        "remaining_seconds": remaining,
        "overdue_seconds": overdue,
        "ticking": ticking,
        "level": timer.level,
        "max_level": int(timer.policy.get("max_level") or 1),
        "next_action_at": timer.next_action_at if timer.active else None,
        "next_step": next_step,
        "next_escalation_at": timer.next_action_at if next_step == "escalation" else None,
        "breached_at": timer.breached_at,
        "met_at": timer.met_at,
        "stopped_reason": timer.stopped_reason,
        "alerted_count": len(timer.alerted_user_ids or []),
    }


def ticket_timers(ticket, *, now=None, current_queue_only: bool = False) -> list[dict]:
    """The ticket's timers (oldest first) as `timer_view` dicts. Calendars are read once each."""
    now = now or timezone.now()
    qs = OlaTimer.objects.filter(ticket=ticket).select_related("queue").order_by("id")
    if current_queue_only:
        qs = qs.filter(queue_id=ticket.queue_id)
    timers = list(qs)
    return [timer_view(t, calendar_spec(t.policy["calendar"]), now) for t in timers]


def ticket_ola(ticket, *, now=None) -> dict:
    """What the ticket page's OLA zone needs: whether the current queue has a policy, and the
    current queue's timers (the running ones first)."""
    now = now or timezone.now()
    timers = ticket_timers(ticket, now=now, current_queue_only=True) if ticket.queue_id else []
    configured = bool(ticket.queue_id) and (
        bool(timers) or OlaPolicy.objects.filter(queue_id=ticket.queue_id).exists()
    )
    timers.sort(key=lambda t: (not t["active"], t["id"]))
    return {"configured": configured, "timers": timers, "now": now}


def escalation_groups(owners) -> list[list]:
    """The org chart above the owners, one group per level: their direct leaders, then the
    leaders of their main departments, then of each parent department."""
    User = get_user_model()
    owner_ids = [o.pk for o in owners]
    groups = [list(User.objects.filter(direct_reports__in=owner_ids).distinct().order_by("id"))]
    departments = [o.main_department for o in owners if o.main_department_id]
    seen: set[int] = set()
    while departments:
        departments = [d for d in departments if d.pk not in seen]
        seen.update(d.pk for d in departments)
        if not departments:
            break
        groups.append(
            list(User.objects.filter(led_departments__in=departments).distinct().order_by("id"))
        )
        departments = list({d.parent for d in departments if d.parent_id}.difference({None}))
    return groups


def skipped_alert_recipients(queue) -> list:
    """The queue's handlers and the leaders an alert would climb to who are outside WeCom's
    visible range (可见范围): alerts skip them (see andon.notifications.recipients)."""
    members = list(
        get_user_model()
        .objects.filter(queue_memberships__queue=queue, is_active=True)
        .select_related("main_department")
        .order_by("id")
    )
    people = {u.pk: u for u in members}
    for group in escalation_groups(members):
        people.update((u.pk, u) for u in group if u.is_active)
    return [u for u in people.values() if u.wecom_visible is False]
