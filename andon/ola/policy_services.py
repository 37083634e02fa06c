"""Writes to OLA policies: edit, adopt the recommendation, apply to open tickets. Audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import diff, record_audit
from andon.core import config_cache
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.ola import engine
from andon.ola.businesstime import business_seconds_between
from andon.ola.models import PRIORITIES, BusinessCalendar, OlaPolicy, OlaTimer, TimerState
from andon.ola.recommend import recommend

MAX_MINUTES = 60 * 24 * 365


def _require(actor) -> None:
    if not has_perm(actor, "queues.manage"):
        raise PermissionDenied(_("没有管理队列的权限"))


def _snapshot(policy: OlaPolicy) -> dict:
    return {
        "calendar": policy.calendar_id,
        "response_minutes": dict(policy.response_minutes),
        "resolution_minutes": dict(policy.resolution_minutes),
        "urge_threshold": policy.urge_threshold,
        "warn_at_percent": policy.warn_at_percent,
        "escalation_interval_minutes": policy.escalation_interval_minutes,
        "max_level": policy.max_level,
    }


def _minutes_map(value, field: str, errors: dict) -> dict | None:
    if not isinstance(value, dict) or set(value) - set(PRIORITIES):
        errors[field] = [_('应为 {"L1": 分钟, …, "L4": 分钟}')]
        return None
    cleaned = {}
    for priority in PRIORITIES:
        minutes = value.get(priority)
        if minutes in (None, ""):
            continue  # no target for this priority
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not 1 <= minutes <= MAX_MINUTES
        ):
            errors[f"{field}.{priority}"] = [_("应为 1 到 %s 之间的整数分钟") % MAX_MINUTES]
            continue
        cleaned[priority] = minutes
    return cleaned


def _int_in(data, field, low, high, errors, *, nullable=False):
    value = data[field]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = [_("应为 %(low)s 到 %(high)s 之间的整数") % {"low": low, "high": high}]
        return None
    return value


def get_or_default_policy(queue) -> OlaPolicy:
    """The queue's policy, or an unsaved default on the 7×24 calendar for the form."""
    policy = OlaPolicy.objects.filter(queue=queue).select_related("calendar").first()
    if policy is None:
        policy = OlaPolicy(queue=queue, calendar=BusinessCalendar.objects.order_by("id").first())
    return policy


@transaction.atomic
def save_policy(*, actor, queue, data: dict) -> OlaPolicy:
    """Create or replace a queue's policy. Running timers keep their snapshot."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    policy = OlaPolicy.objects.select_for_update().filter(queue=queue).first()
    before = _snapshot(policy) if policy else {}
    policy = policy or OlaPolicy(queue=queue)
    if "calendar" in data or policy.calendar_id is None:
        calendar = BusinessCalendar.objects.filter(pk=_as_int(data.get("calendar"))).first()
        if calendar is None:
            errors["calendar"] = [_("工作日历不存在")]
        else:
            policy.calendar = calendar
    for field in ("response_minutes", "resolution_minutes"):
        if field in data:
            value = _minutes_map(data[field], field, errors)
            if value is not None:
                setattr(policy, field, value)
    limits = {
        "urge_threshold": (1, 1000, True),
        "warn_at_percent": (1, 99, False),
        "escalation_interval_minutes": (1, 10080, False),
        "max_level": (1, 10, False),
    }
    for field, (low, high, nullable) in limits.items():
        if field in data:
            value = _int_in(data, field, low, high, errors, nullable=nullable)
            if field not in errors:
                setattr(policy, field, value)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    policy.save()
    changes = diff(before, _snapshot(policy))
    if changes:
        config_cache.bump(config_cache.OLA_POLICIES)
        record_audit(actor=actor, action="ola_policy", obj=queue, changes=changes)
    return policy


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def adopt_recommendation(*, actor, queue, days: int = 90) -> tuple[OlaPolicy, dict]:
    """一键采纳: take every proposed threshold (priorities with too few samples keep theirs)."""
    _require(actor)
    result = recommend(queue=queue, days=days)
    policy = get_or_default_policy(queue)
    data = {
        "calendar": policy.calendar_id,
        "response_minutes": dict(policy.response_minutes),
        "resolution_minutes": dict(policy.resolution_minutes),
    }
    adopted = 0
    for metric in ("response", "resolution"):
        for proposal in result[metric]:
            if proposal["proposed_minutes"]:
                data[f"{metric}_minutes"][proposal["priority"]] = proposal["proposed_minutes"]
                adopted += 1
    if result["urge"]:
        data["urge_threshold"] = result["urge"]["proposed"]
        adopted += 1
    if not adopted:
        raise ValidationFailed(_("样本不足，没有可采纳的建议"), code="no_recommendation", errors={})
    policy = save_policy(actor=actor, queue=queue, data=data)
    record_audit(
        actor=actor,
        action="ola_adopt",
        obj=queue,
        changes={"recommendation": [None, {"days": days, "tickets": result["tickets"]}]},
    )
    return policy, result


@transaction.atomic
def apply_policy_to_open_tickets(*, actor, queue) -> int:
    """Re-plan the queue's running timers with the current policy (targets by priority, calendar,
    warning point, escalation). Time already spent is kept; returns how many timers changed."""
    _require(actor)
    policy = OlaPolicy.objects.filter(queue=queue).first()
    if policy is None:
        raise ValidationFailed(_("该队列还没有 OLA 策略"), code="no_policy", errors={})
    snapshot = engine.policy_snapshot(policy)
    now = timezone.now()
    specs = engine.SpecCache()
    changed = 0
    timers = (
        OlaTimer.objects.select_for_update()
        .select_related("ticket")
        .filter(queue=queue, active=True)
        .exclude(metric="urge")
    )
    for timer in timers:
        old_spec = specs.get(timer.policy["calendar"])
        if timer.state == TimerState.RUNNING:
            left = business_seconds_between(old_spec, now, timer.due_at)
        else:
            left = timer.remaining_seconds or 0
        spent = max(0, timer.target_seconds - left)
        target = engine._target_seconds(snapshot, timer.metric, timer.ticket.priority)
        if not target:
            engine._stop(timer, now, "policy")
            changed += 1
            continue
        timer.policy = snapshot
        timer.target_seconds = target
        if timer.state in (TimerState.RUNNING, TimerState.PAUSED):
            remaining = max(0, target - spent)
            if timer.state == TimerState.PAUSED:
                timer.remaining_seconds = remaining
            else:
                timer.level = -1 if remaining > 0 else timer.level
                engine._plan_running(timer, specs.get(snapshot["calendar"]), now, remaining)
        timer.save()
        changed += 1
    record_audit(
        actor=actor,
        action="ola_apply",
        obj=queue,
        changes={"timers": [None, changed]},
    )
    return changed
