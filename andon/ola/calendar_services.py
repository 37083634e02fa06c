"""Writes to business calendars (工作日历) and their exception dates. Every change is audited.

Calendars decide when OLA clocks run; the arithmetic is in `businesstime`. Managing them needs the
`queues.manage` bit, the same as the queue OLA policies that use them.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import diff, record_audit
from andon.core import config_cache
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import line_error
from andon.ola import businesstime
from andon.ola.models import (
    RESOLVED_STATUSES,
    BusinessCalendar,
    CalendarException,
    CalendarExceptionKind,
    OlaPolicy,
    OlaTimer,
)

NAME_MAX = 50
DESCRIPTION_MAX = 200
NOTE_MAX = 100
MAX_WINDOWS_PER_DAY = 12
YEAR_MIN, YEAR_MAX = 1970, 2200

CALENDAR_FIELDS = (
    "name",
    "description",
    "time_zone",
    "weekly_windows",
    "follows_china_holidays",
    "manual_holiday_years",
)
# The built-in 7×24 calendar keeps its name, windows and "no holidays"; only these may change.
BUILTIN_EDITABLE = frozenset({"description", "time_zone"})


def _weekday_labels() -> dict[str, str]:
    return dict(
        zip(
            businesstime.WEEKDAY_KEYS,
            [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")],
            strict=True,
        )
    )


def _require_manage(actor) -> None:
    if not has_perm(actor, "queues.manage"):
        raise PermissionDenied(_("没有管理工作日历的权限"))


def _fail(errors: dict[str, list[str]]):
    raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def clean_weekly_windows(raw) -> tuple[businesstime.Weekly | None, list[str]]:
    """The admin's weekly windows → (minute windows, problems). Accepts {"mon": [["09:00",
    "12:00"], …], …} (missing days have no windows) or seven day lists, Monday first. Each window
    is [start, end] in HH:MM, start < end, "24:00" only as an end; a day's windows may touch but not
    overlap. At least one window in the week is required."""
    labels = _weekday_labels()
    if isinstance(raw, list | tuple) and len(raw) == 7:
        raw = dict(zip(businesstime.WEEKDAY_KEYS, raw, strict=True))
    if not isinstance(raw, dict):
        return None, [_("工作时段应按周一到周日（mon…sun）给出")]
    problems: list[str] = []
    unknown = sorted(str(k) for k in raw if k not in businesstime.WEEKDAY_KEYS)
    if unknown:
        problems.append(_("未知的星期：%s（应为 mon…sun）") % ", ".join(unknown))
    weekly: list[businesstime.DayWindows] = []
    for key in businesstime.WEEKDAY_KEYS:
        day_problem, windows = _clean_day(raw.get(key))
        if day_problem:
            problems.append(f"{labels[key]}：{day_problem}")
        weekly.append(windows)
    if not problems and not any(weekly):
        problems.append(_("至少需要一个工作时段，否则 OLA 计时永远不会到期"))
    return (None if problems else tuple(weekly)), problems


def _clean_day(raw) -> tuple[str | None, businesstime.DayWindows]:
    if raw in (None, ""):
        return None, ()
    if not isinstance(raw, list | tuple):
        return _('应为时段列表，例如 [["09:00", "12:00"]]'), ()
    if len(raw) > MAX_WINDOWS_PER_DAY:
        return _("每天最多 %s 个时段") % MAX_WINDOWS_PER_DAY, ()
    windows = []
    for item in raw:
        if isinstance(item, dict):
            item = (item.get("start"), item.get("end"))
        if not isinstance(item, list | tuple) or len(item) != 2:
            return _('每个时段应为 [开始, 结束]，例如 ["09:00", "12:00"]'), ()
        try:
            start = businesstime.parse_clock(item[0], allow_24=False)
        except ValueError:
            return _("开始时间「%s」应为 00:00–23:59 的 HH:MM（精确到分钟）") % (item[0],), ()
        try:
            end = businesstime.parse_clock(item[1], allow_24=True)
        except ValueError:
            return _("结束时间「%s」应为 00:01–24:00 的 HH:MM（精确到分钟）") % (item[1],), ()
        if start >= end:
            return _("时段 %(start)s–%(end)s 的开始时间应早于结束时间") % {
                "start": businesstime.format_clock(start),
                "end": businesstime.format_clock(end),
            }, ()
        windows.append((start, end))
    windows.sort()
    for (s1, e1), (s2, e2) in zip(windows, windows[1:], strict=False):
        if s2 < e1:
            fmt = businesstime.format_clock
            return _("时段 %(a)s 与 %(b)s 重叠") % {
                "a": f"{fmt(s1)}–{fmt(e1)}",
                "b": f"{fmt(s2)}–{fmt(e2)}",
            }, ()
    return None, tuple(windows)


def _clean_years(raw) -> tuple[list[int] | None, str | None]:
    if raw in (None, ""):
        return [], None
    if not isinstance(raw, list | tuple):
        return None, _("应为年份列表")
    years = set()
    for value in raw:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not YEAR_MIN <= value <= YEAR_MAX
        ):
            return None, _("年份应为 %(min)s–%(max)s 之间的整数") % {
                "min": YEAR_MIN,
                "max": YEAR_MAX,
            }
        years.add(value)
    return sorted(years), None


def _clean(data: dict, instance: BusinessCalendar | None) -> dict:
    """Validate the given calendar fields (all required ones on create; on update only those
    present). Returns the cleaned values; raises ValidationFailed with per-field errors."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("数据格式不正确"))
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    creating = instance is None

    if creating or "name" in data:
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else name
        if not isinstance(name, str) or not name:
            errors["name"] = [_("请填写名称")]
        elif problem := line_error(name, _("名称")):
            errors["name"] = [problem]
        elif len(name) > NAME_MAX:
            errors["name"] = [
                _("名称最多 %(max)s 个字符，当前 %(length)s 个")
                % {"max": NAME_MAX, "length": len(name)}
            ]
        else:
            clash = BusinessCalendar.objects.filter(name__iexact=name)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors["name"] = [_("已有名为「%s」的工作日历") % name]
            cleaned["name"] = name

    if "description" in data:
        description = data.get("description")
        description = "" if description is None else description
        if not isinstance(description, str):
            errors["description"] = [_("说明应为文本")]
        elif len(description.strip()) > DESCRIPTION_MAX:
            errors["description"] = [_("说明最多 %s 个字符") % DESCRIPTION_MAX]
        else:
            cleaned["description"] = description.strip()

    if "time_zone" in data:
        try:
            cleaned["time_zone"] = businesstime.validate_time_zone(data.get("time_zone"))
        except ValueError:
            errors["time_zone"] = [
                _("未知时区「%s」：请填写 IANA 时区名，如 Asia/Shanghai") % (data.get("time_zone"),)
            ]

    if creating or "weekly_windows" in data:
        if creating and "weekly_windows" not in data:
            errors["weekly_windows"] = [_("请设置每周工作时段")]
        else:
            weekly, problems = clean_weekly_windows(data.get("weekly_windows"))
            if problems:
                errors["weekly_windows"] = problems
            else:
                cleaned["weekly_windows"] = businesstime.weekly_to_json(weekly)

    if "follows_china_holidays" in data:
        value = data.get("follows_china_holidays")
        if not isinstance(value, bool):
            errors["follows_china_holidays"] = [_("应为是或否")]
        else:
            cleaned["follows_china_holidays"] = value

    if "manual_holiday_years" in data:
        years, problem = _clean_years(data.get("manual_holiday_years"))
        if problem:
            errors["manual_holiday_years"] = [problem]
        else:
            cleaned["manual_holiday_years"] = years

    if instance is not None and instance.is_builtin:
        for key in set(data) & set(CALENDAR_FIELDS) - BUILTIN_EDITABLE:
            if key in cleaned and cleaned[key] != getattr(instance, key):
                errors[key] = [_("内置的「%s」日历只能修改说明和时区") % instance.name]

    if errors:
        _fail(errors)
    return cleaned


def _clean_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _snapshot(calendar: BusinessCalendar) -> dict:
    return {key: getattr(calendar, key) for key in CALENDAR_FIELDS}


def _locked(calendar_id) -> BusinessCalendar:
    if isinstance(calendar_id, BusinessCalendar):
        calendar_id = calendar_id.pk
    if isinstance(calendar_id, bool) or not isinstance(calendar_id, int):
        raise NotFound(_("工作日历不存在"))
    calendar = BusinessCalendar.objects.select_for_update().filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(_("工作日历不存在"))
    return calendar


# --------------------------------------------------------------------------------------------
# calendars
# --------------------------------------------------------------------------------------------


@transaction.atomic
def create_calendar(*, actor, data: dict) -> BusinessCalendar:
    """`data`: name, weekly_windows (required); description, time_zone (default Asia/Shanghai),
    follows_china_holidays (default true), manual_holiday_years."""
    _require_manage(actor)
    cleaned = _clean(data, None)
    try:
        with transaction.atomic():
            calendar = BusinessCalendar.objects.create(**cleaned)
    except IntegrityError:
        message = _("已有名为「%s」的工作日历") % cleaned["name"]
        raise ValidationFailed(message, errors={"name": [message]}) from None
    config_cache.bump(config_cache.CALENDARS)
    record_audit(actor=actor, action="create", obj=calendar, changes=diff({}, _snapshot(calendar)))
    return calendar


@transaction.atomic
def update_calendar(*, actor, calendar_id: int, data: dict) -> BusinessCalendar:
    """Change the given fields. Running OLA timers keep the due times computed when they started
    (their policy snapshot); the new calendar applies to timers started or recomputed later."""
    _require_manage(actor)
    calendar = _locked(calendar_id)
    before = _snapshot(calendar)
    cleaned = _clean(data, calendar)
    for key, value in cleaned.items():
        setattr(calendar, key, value)
    try:
        with transaction.atomic():
            calendar.save()
    except IntegrityError:
        message = _("已有名为「%s」的工作日历") % calendar.name
        raise ValidationFailed(message, errors={"name": [message]}) from None
    changes = diff(before, _snapshot(calendar))
    if changes:
        config_cache.bump(config_cache.CALENDARS)
        record_audit(actor=actor, action="update", obj=calendar, changes=changes)
    return calendar


def _refuse_if_in_use(calendar: BusinessCalendar) -> None:
    """A calendar is in use while a policy names it, and also while a running timer does: timers
    keep the calendar of the policy they started under (a snapshot), so a policy that moved to
    another calendar still leaves its old one in use until those timers end."""
    queues = list(
        OlaPolicy.objects.filter(calendar=calendar)
        .order_by("queue__name")
        .values_list("queue__name", flat=True)
    )
    if queues:
        raise Conflict(
            _("工作日历「%(name)s」仍被这些队列的 OLA 策略使用：%(queues)s。请先为它们换用其他日历")
            % {"name": calendar.name, "queues": "、".join(queues)},
            code="in_use",
        )
    # Running timers, and met ones of resolved tickets (a reopen resumes them on this calendar).
    running = (
        OlaTimer.objects.filter(policy__calendar=calendar.pk)
        .filter(Q(active=True) | Q(met_at__isnull=False, ticket__status__in=RESOLVED_STATUSES))
        .values("ticket")
        .distinct()
        .count()
    )
    if running:
        raise Conflict(
            _(
                "工作日历「%(name)s」仍被 %(count)s 张工单的 OLA 计时使用（计时开始时策略用的是"
                "这个日历）。等这些工单关闭，或在队列的 OLA 策略页把新策略应用到未结工单后再删除"
            )
            % {"name": calendar.name, "count": running},
            code="in_use",
        )


@transaction.atomic
def delete_calendar(*, actor, calendar_id: int) -> None:
    _require_manage(actor)
    calendar = _locked(calendar_id)
    if calendar.is_builtin:
        raise Conflict(_("内置的「%s」日历不能删除") % calendar.name)
    _refuse_if_in_use(calendar)
    snapshot = _snapshot(calendar)
    name, pk = calendar.name, calendar.pk
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError:
        raise Conflict(
            _("工作日历「%s」仍被 OLA 策略使用，请先为这些策略换用其他日历") % name
        ) from None
    config_cache.bump(config_cache.CALENDARS)
    record_audit(
        actor=actor,
        action="delete",
        object_type="ola.businesscalendar",
        object_repr=f"{name} (#{pk})",
        changes=diff(snapshot, {}),
    )


# --------------------------------------------------------------------------------------------
# exception dates
# --------------------------------------------------------------------------------------------


@transaction.atomic
def set_calendar_exception(
    *, actor, calendar_id: int, date, kind: str, note: str = ""
) -> CalendarException:
    """Declare `date` a day off (`holiday`) or a working day (`workday`) in this calendar,
    replacing any earlier entry for the date. Admin entries win over the holiday package both
    ways; a working Saturday or Sunday uses Monday's windows (see businesstime)."""
    _require_manage(actor)
    calendar = _locked(calendar_id)
    errors: dict[str, list[str]] = {}
    if calendar.is_builtin:
        raise Conflict(_("内置的「%s」日历全天候工作，不能设置例外日期") % calendar.name)
    day = _clean_date(date)
    if day is None:
        errors["date"] = [_("日期应为 YYYY-MM-DD")]
    elif not YEAR_MIN <= day.year <= YEAR_MAX:
        errors["date"] = [_("日期应在 %(min)s–%(max)s 年之间") % {"min": YEAR_MIN, "max": YEAR_MAX}]
    if kind not in CalendarExceptionKind.values:
        errors["kind"] = [_("类型应为休息日（holiday）或工作日（workday）")]
    note = "" if note is None else note
    if not isinstance(note, str):
        errors["note"] = [_("备注应为文本")]
    elif len(note.strip()) > NOTE_MAX:
        errors["note"] = [_("备注最多 %s 个字符") % NOTE_MAX]
    if errors:
        _fail(errors)
    note = note.strip()

    existing = CalendarException.objects.filter(calendar=calendar, date=day).first()
    before = {"kind": existing.kind, "note": existing.note} if existing else {}
    entry, _created = CalendarException.objects.update_or_create(
        calendar=calendar, date=day, defaults={"kind": kind, "note": note}
    )
    changes = diff(before, {"kind": entry.kind, "note": entry.note})
    if changes:
        BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
        config_cache.bump(config_cache.CALENDARS)
        record_audit(
            actor=actor,
            action="exception.set",
            obj=calendar,
            changes={f"{day.isoformat()}.{key}": value for key, value in changes.items()},
        )
    return entry


@transaction.atomic
def remove_calendar_exception(*, actor, calendar_id: int, date) -> bool:
    """Drop the entry for `date`; the day goes back to the package / its weekday. Returns whether
    there was one."""
    _require_manage(actor)
    calendar = _locked(calendar_id)
    day = _clean_date(date)
    if day is None:
        _fail({"date": [_("日期应为 YYYY-MM-DD")]})
    entry = CalendarException.objects.filter(calendar=calendar, date=day).first()
    if entry is None:
        return False
    before = {"kind": entry.kind, "note": entry.note}
    entry.delete()
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
    config_cache.bump(config_cache.CALENDARS)
    record_audit(
        actor=actor,
        action="exception.remove",
        obj=calendar,
        changes={f"{day.isoformat()}.{key}": value for key, value in diff(before, {}).items()},
    )
    return True


# --------------------------------------------------------------------------------------------
# warnings for the admin UI
# --------------------------------------------------------------------------------------------


def calendar_warnings(calendar: BusinessCalendar, *, today: dt.date | None = None) -> list[str]:
    """What the admin should fix, for the calendar page and the OLA policy page: years (this one
    and the next, which running targets can reach) in which a calendar that follows China's
    holidays has no holiday data and therefore runs on plain weekends."""
    today = today or timezone.localdate()
    missing = businesstime.missing_holiday_years(calendar, [today.year, today.year + 1])
    if not missing:
        return []
    covered = sorted(businesstime.china_holiday_years())
    coverage = f"{covered[0]}–{covered[-1]}" if covered else "—"
    entered = {year: calendar.exceptions.filter(date__year=year).count() for year in missing}
    warnings = []
    for year in missing:
        warnings.append(
            _(
                "%(year)s 年没有法定节假日数据（chinesecalendar 只覆盖 %(coverage)s 年），"
                "该年按普通周末计算，已手工录入 %(count)s 个例外日期。请把 %(year)s 年的节假日和"
                "调休录入为例外日期后，将该年标记为“已手工录入”；或升级 chinesecalendar。"
            )
            % {"year": year, "coverage": coverage, "count": entered[year]}
        )
    return warnings
