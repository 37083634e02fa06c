"""OLA configuration pages (配置 › OLA 与工作日历): business calendars with their weekday windows
and exception dates, and each queue's OLA policy with the recommendation panel. Thin: writes go
through calendar_services / policy_services, which validate and audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError, ValidationFailed
from andon.ola import calendar_services, forms, policy_services, selectors
from andon.ola.models import PRIORITIES, BusinessCalendar, CalendarExceptionKind, OlaPolicy
from andon.ola.recommend import recommend
from andon.queues.models import Queue

MANAGE = "queues.manage"


def _require(request) -> None:
    if not has_perm(request.user, MANAGE):
        raise DjangoPermissionDenied


def _calendar_or_404(calendar_id) -> BusinessCalendar:
    calendar = selectors.calendar_or_none(calendar_id)
    if calendar is None:
        raise Http404(_("工作日历不存在"))
    return calendar


def _queue_or_404(queue_id) -> Queue:
    queue = Queue.objects.filter(pk=queue_id).first()
    if queue is None:
        raise Http404(_("队列不存在"))
    return queue


def _field_errors(exc: ServiceError) -> dict:
    return dict(exc.errors or {})


# --- calendars -----------------------------------------------------------------------------------


@login_required
def index(request):
    _require(request)
    calendars = list(selectors.calendars_with_exceptions())
    policies = {
        p.queue_id: p for p in OlaPolicy.objects.select_related("calendar").order_by("queue_id")
    }
    queues = list(Queue.objects.order_by("-is_enabled", "name"))
    return render(
        request,
        "config/ola/index.html",
        {
            "calendars": [
                {"calendar": c, "warnings": selectors.warnings_for(c)} for c in calendars
            ],
            "queues": [{"queue": q, "policy": policies.get(q.pk)} for q in queues],
        },
    )


def _calendar_form(request, calendar, *, errors=None, posted=None):
    data = calendar or BusinessCalendar()
    return render(
        request,
        "config/ola/calendar_form.html",
        {
            "calendar": calendar,
            "values": posted
            or {
                "name": data.name,
                "description": data.description,
                "time_zone": data.time_zone,
                "follows_china_holidays": data.follows_china_holidays,
                "manual_holiday_years": ", ".join(str(y) for y in data.manual_holiday_years or []),
            },
            "days": forms.weekly_rows(data.weekly_windows, posted),
            "errors": errors or {},
            "warnings": selectors.warnings_for(calendar) if calendar else [],
            "exceptions": list(calendar.exceptions.all()) if calendar else [],
            "kinds": CalendarExceptionKind.choices,
        },
        status=400 if errors else 200,
    )


def _posted_values(post) -> dict:
    return {
        "name": post.get("name", ""),
        "description": post.get("description", ""),
        "time_zone": post.get("time_zone", ""),
        "follows_china_holidays": post.get("follows_china_holidays") == "on",
        "manual_holiday_years": post.get("manual_holiday_years", ""),
    }


@login_required
def calendar_create(request):
    _require(request)
    if request.method == "POST":
        try:
            calendar = calendar_services.create_calendar(
                actor=request.user, data=forms.calendar_data_from_post(request.POST)
            )
        except ValidationFailed as exc:
            return _calendar_form(
                request, None, errors=_field_errors(exc), posted=_posted_values(request.POST)
            )
        messages.success(request, _("工作日历「%s」已创建") % calendar.name)
        return redirect("config:ola-calendar", calendar_id=calendar.pk)
    return _calendar_form(request, None)


@login_required
def calendar_edit(request, calendar_id: int):
    _require(request)
    calendar = _calendar_or_404(calendar_id)
    if request.method == "POST":
        data = forms.calendar_data_from_post(request.POST)
        if calendar.is_builtin:
            data = {k: data[k] for k in ("description", "time_zone")}
        try:
            calendar_services.update_calendar(
                actor=request.user, calendar_id=calendar.pk, data=data
            )
        except ValidationFailed as exc:
            values = {**_posted_values(request.POST)}
            return _calendar_form(request, calendar, errors=_field_errors(exc), posted=values)
        messages.success(request, _("工作日历已保存"))
        return redirect("config:ola-calendar", calendar_id=calendar.pk)
    return _calendar_form(request, calendar)


@login_required
@require_POST
def calendar_delete(request, calendar_id: int):
    _require(request)
    calendar = _calendar_or_404(calendar_id)
    try:
        calendar_services.delete_calendar(actor=request.user, calendar_id=calendar.pk)
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return redirect("config:ola-calendar", calendar_id=calendar.pk)
    messages.success(request, _("工作日历「%s」已删除") % calendar.name)
    return redirect("config:ola")


@login_required
@require_POST
def exception_set(request, calendar_id: int):
    _require(request)
    calendar = _calendar_or_404(calendar_id)
    try:
        calendar_services.set_calendar_exception(
            actor=request.user,
            calendar_id=calendar.pk,
            date=request.POST.get("date", ""),
            kind=request.POST.get("kind", ""),
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("例外日期已保存"))
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect("config:ola-calendar", calendar_id=calendar.pk)


@login_required
@require_POST
def exception_remove(request, calendar_id: int):
    _require(request)
    calendar = _calendar_or_404(calendar_id)
    try:
        calendar_services.remove_calendar_exception(
            actor=request.user, calendar_id=calendar.pk, date=request.POST.get("date", "")
        )
        messages.success(request, _("例外日期已删除"))
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect("config:ola-calendar", calendar_id=calendar.pk)


# --- a queue's policy ----------------------------------------------------------------------------


def _policy_values(policy) -> dict:
    return {
        "calendar": policy.calendar_id,
        "response": {p: policy.response_minutes.get(p, "") for p in PRIORITIES},
        "resolution": {p: policy.resolution_minutes.get(p, "") for p in PRIORITIES},
        "urge_threshold": policy.urge_threshold if policy.urge_threshold is not None else "",
        "warn_at_percent": policy.warn_at_percent,
        "escalation_interval_minutes": policy.escalation_interval_minutes,
        "max_level": policy.max_level,
    }


def _posted_policy(post) -> dict:
    return {
        "calendar": int(post["calendar"]) if post.get("calendar", "").isdigit() else None,
        "response": {p: post.get(f"response_{p}", "") for p in PRIORITIES},
        "resolution": {p: post.get(f"resolution_{p}", "") for p in PRIORITIES},
        "urge_threshold": post.get("urge_threshold", ""),
        "warn_at_percent": post.get("warn_at_percent", ""),
        "escalation_interval_minutes": post.get("escalation_interval_minutes", ""),
        "max_level": post.get("max_level", ""),
    }


def _recommendation(queue, days: int) -> dict:
    result = recommend(queue=queue, days=days)
    rows = []
    for priority_index, priority in enumerate(PRIORITIES):
        rows.append(
            {
                "priority": priority,
                "response": result["response"][priority_index],
                "resolution": result["resolution"][priority_index],
            }
        )
    adoptable = any(
        p["proposed_minutes"] for p in result["response"] + result["resolution"]
    ) or bool(result["urge"])
    return {**result, "rows": rows, "adoptable": adoptable}


@login_required
def policy(request, queue_id: int):
    _require(request)
    queue = _queue_or_404(queue_id)
    current = policy_services.get_or_default_policy(queue)
    errors: dict = {}
    values = _policy_values(current)
    if request.method == "POST":
        try:
            policy_services.save_policy(
                actor=request.user, queue=queue, data=forms.policy_data_from_post(request.POST)
            )
        except ValidationFailed as exc:
            errors = _field_errors(exc)
            values = _posted_policy(request.POST)
        else:
            messages.success(
                request,
                _("OLA 策略已保存。进行中的计时不受影响，如需改写请点击「应用到未完成工单」。"),
            )
            return redirect("config:ola-policy", queue_id=queue.pk)
    try:
        days = max(1, min(3650, int(request.GET.get("days", "90"))))
    except ValueError:
        days = 90
    calendars = list(BusinessCalendar.objects.order_by("id"))
    return render(
        request,
        "config/ola/policy.html",
        {
            "queue": queue,
            "policy": current,
            "configured": current.pk is not None,
            "values": values,
            "errors": errors,
            "calendars": calendars,
            "calendar_warnings": selectors.warnings_for(current.calendar)
            if current.calendar_id
            else [],
            "priorities": PRIORITIES,
            "minute_rows": [
                {
                    "priority": p,
                    "response": values["response"][p],
                    "resolution": values["resolution"][p],
                    "response_errors": errors.get(f"response_minutes.{p}", []),
                    "resolution_errors": errors.get(f"resolution_minutes.{p}", []),
                }
                for p in PRIORITIES
            ],
            "recommendation": _recommendation(queue, days),
            "skipped_recipients": selectors.skipped_alert_recipients(queue),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def policy_apply(request, queue_id: int):
    _require(request)
    queue = _queue_or_404(queue_id)
    try:
        changed = policy_services.apply_policy_to_open_tickets(actor=request.user, queue=queue)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("已把当前策略应用到 %s 个进行中的计时") % changed)
    return redirect("config:ola-policy", queue_id=queue.pk)


@login_required
@require_POST
def policy_adopt(request, queue_id: int):
    _require(request)
    queue = _queue_or_404(queue_id)
    try:
        days = max(1, min(3650, int(request.POST.get("days", "90"))))
    except ValueError:
        days = 90
    try:
        policy_services.adopt_recommendation(actor=request.user, queue=queue, days=days)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("已采纳推荐阈值"))
    return redirect("config:ola-policy", queue_id=queue.pk)
