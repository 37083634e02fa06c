"""Business calendar rows: the built-in 7×24 calendar, the services that edit calendars and their
exception dates, `spec_for` and the missing-holiday-data warnings."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from andon.audit.models import AuditEntry
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.ola import calendar_services as services
from andon.ola.businesstime import (
    add_business_time,
    business_seconds_between,
    china_holiday_years,
    is_business_time,
    missing_holiday_years,
    spec_for,
)
from andon.ola.models import BusinessCalendar, CalendarException
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY = [["09:00", "12:00"], ["13:30", "18:00"]]
OFFICE = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), WORKDAY)


def sh(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def office(admin_user):
    return services.create_calendar(
        actor=admin_user, data={"name": "办公时间", "weekly_windows": OFFICE}
    )


def test_builtin_7x24_calendar_exists():
    calendar = BusinessCalendar.objects.get(is_builtin=True)
    assert calendar.name == "7×24"
    assert not calendar.follows_china_holidays
    assert not calendar.exceptions.exists()
    spec = spec_for(calendar)
    start = sh(2025, 10, 1, 3, 17)  # National Day, at night
    assert is_business_time(spec, start)
    assert add_business_time(spec, start, 86400 * 3) == start + dt.timedelta(days=3)
    assert missing_holiday_years(calendar, [2099]) == []


def test_create_calendar_stores_canonical_windows(office, admin_user):
    assert office.time_zone == "Asia/Shanghai"
    assert office.follows_china_holidays
    assert office.weekly_windows["mon"] == WORKDAY
    assert office.weekly_windows["sat"] == []
    entry = AuditEntry.objects.get(object_type="ola.businesscalendar", action="create")
    assert entry.actor == admin_user

    other = services.create_calendar(
        actor=admin_user,
        data={
            "name": "夜班",
            "time_zone": " Europe/Berlin ",
            "weekly_windows": [[["22:00", "24:00"], ["0:00", "6:00"]]] + [[]] * 6,
            "follows_china_holidays": False,
        },
    )
    assert other.time_zone == "Europe/Berlin"
    assert other.weekly_windows["mon"] == [["00:00", "06:00"], ["22:00", "24:00"]]


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"name": "", "weekly_windows": OFFICE}, "name", "名称"),
        ({"name": "x" * 51, "weekly_windows": OFFICE}, "name", "50"),
        ({"name": "a", "weekly_windows": OFFICE, "time_zone": "Asia/Beijing"}, "time_zone", "IANA"),
        ({"name": "a"}, "weekly_windows", "工作时段"),
        ({"name": "a", "weekly_windows": {}}, "weekly_windows", "至少"),
        ({"name": "a", "weekly_windows": {"mon": [["10:00", "09:00"]]}}, "weekly_windows", "周一"),
        (
            {"name": "a", "weekly_windows": {"tue": [["09:00", "12:00"], ["11:59", "13:00"]]}},
            "weekly_windows",
            "重叠",
        ),
        ({"name": "a", "weekly_windows": {"wed": [["24:00", "24:00"]]}}, "weekly_windows", "周三"),
        (
            {"name": "a", "weekly_windows": {"thu": [["09:00:30", "10:00"]]}},
            "weekly_windows",
            "分钟",
        ),
        ({"name": "a", "weekly_windows": {"fri": [["09:00", "24:30"]]}}, "weekly_windows", "24:00"),
        ({"name": "a", "weekly_windows": {"mon": "09:00-18:00"}}, "weekly_windows", "列表"),
        ({"name": "a", "weekly_windows": {"monday": WORKDAY}}, "weekly_windows", "monday"),
        (
            {"name": "a", "weekly_windows": OFFICE, "follows_china_holidays": "yes"},
            "follows_china_holidays",
            "",
        ),
        (
            {"name": "a", "weekly_windows": OFFICE, "manual_holiday_years": ["next"]},
            "manual_holiday_years",
            "年份",
        ),
    ],
)
def test_create_calendar_rejects_bad_input(admin_user, data, field, fragment):
    with pytest.raises(ValidationFailed) as caught:
        services.create_calendar(actor=admin_user, data=data)
    assert field in caught.value.errors
    assert fragment in " ".join(caught.value.errors[field])


def test_reports_every_bad_field_at_once(admin_user):
    with pytest.raises(ValidationFailed) as caught:
        services.create_calendar(
            actor=admin_user,
            data={
                "name": "",
                "time_zone": "nowhere",
                "weekly_windows": {"mon": [["9", "10:00"]], "sat": [["10:00", "09:00"]]},
            },
        )
    errors = caught.value.errors
    assert set(errors) == {"name", "time_zone", "weekly_windows"}
    assert len(errors["weekly_windows"]) == 2


def test_names_are_unique_ignoring_case(office, admin_user):
    services.create_calendar(actor=admin_user, data={"name": "Support", "weekly_windows": OFFICE})
    with pytest.raises(ValidationFailed) as caught:
        services.create_calendar(
            actor=admin_user, data={"name": "support", "weekly_windows": OFFICE}
        )
    assert "name" in caught.value.errors


def test_only_managers_edit_calendars(office):
    handler = factories.handler()
    with pytest.raises(PermissionDenied):
        services.create_calendar(actor=handler, data={"name": "x", "weekly_windows": OFFICE})
    with pytest.raises(PermissionDenied):
        services.update_calendar(actor=handler, calendar_id=office.pk, data={"name": "y"})
    with pytest.raises(PermissionDenied):
        services.set_calendar_exception(
            actor=handler, calendar_id=office.pk, date="2026-03-09", kind="holiday"
        )


def test_update_calendar_changes_only_given_fields(office, admin_user):
    updated = services.update_calendar(
        actor=admin_user,
        calendar_id=office.pk,
        data={"weekly_windows": {"mon": [["08:00", "17:00"]]}, "follows_china_holidays": False},
    )
    assert updated.name == "办公时间"
    assert updated.weekly_windows["mon"] == [["08:00", "17:00"]]
    assert updated.weekly_windows["tue"] == []
    entry = AuditEntry.objects.get(object_type="ola.businesscalendar", action="update")
    assert set(entry.changes) == {"weekly_windows", "follows_china_holidays"}
    with pytest.raises(NotFound):
        services.update_calendar(actor=admin_user, calendar_id=999_999, data={})


def test_builtin_calendar_is_protected(admin_user):
    builtin = BusinessCalendar.objects.get(is_builtin=True)
    services.update_calendar(
        actor=admin_user, calendar_id=builtin.pk, data={"description": "全天候", "name": "7×24"}
    )
    with pytest.raises(ValidationFailed) as caught:
        services.update_calendar(
            actor=admin_user, calendar_id=builtin.pk, data={"weekly_windows": OFFICE}
        )
    assert "weekly_windows" in caught.value.errors
    with pytest.raises(ValidationFailed):
        services.update_calendar(
            actor=admin_user, calendar_id=builtin.pk, data={"follows_china_holidays": True}
        )
    with pytest.raises(Conflict):
        services.set_calendar_exception(
            actor=admin_user, calendar_id=builtin.pk, date="2026-03-09", kind="holiday"
        )
    with pytest.raises(Conflict):
        services.delete_calendar(actor=admin_user, calendar_id=builtin.pk)


def test_delete_calendar(office, admin_user):
    services.set_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date="2026-03-09", kind="holiday"
    )
    services.delete_calendar(actor=admin_user, calendar_id=office.pk)
    assert not BusinessCalendar.objects.filter(pk=office.pk).exists()
    assert not CalendarException.objects.exists()
    assert AuditEntry.objects.filter(action="delete", object_type="ola.businesscalendar").exists()


def test_exceptions_override_the_package_both_ways(office, admin_user):
    spec = spec_for(office)
    assert not is_business_time(spec, sh(2025, 10, 2, 10))  # National Day
    assert is_business_time(spec, sh(2025, 9, 28, 10))  # make-up Sunday

    entry = services.set_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date="2025-10-02", kind="workday", note="值班"
    )
    assert entry.note == "值班"
    services.set_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date=dt.date(2025, 9, 28), kind="holiday"
    )
    services.set_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date="2025-09-20", kind="workday"
    )
    spec = spec_for(BusinessCalendar.objects.get(pk=office.pk))
    assert is_business_time(spec, sh(2025, 10, 2, 10))
    assert not is_business_time(spec, sh(2025, 9, 28, 10))
    assert business_seconds_between(spec, sh(2025, 9, 20), sh(2025, 9, 21)) == 7.5 * 3600

    # Setting the same date again replaces the entry; removing it restores the package.
    services.set_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date="2025-10-02", kind="holiday"
    )
    assert CalendarException.objects.get(calendar=office, date="2025-10-02").kind == "holiday"
    assert services.remove_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date="2025-09-28"
    )
    assert not services.remove_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date="2025-09-28"
    )
    spec = spec_for(BusinessCalendar.objects.get(pk=office.pk))
    assert is_business_time(spec, sh(2025, 9, 28, 10))
    assert not is_business_time(spec, sh(2025, 10, 2, 10))
    actions = set(
        AuditEntry.objects.filter(object_id=str(office.pk)).values_list("action", flat=True)
    )
    assert {"exception.set", "exception.remove"} <= actions


@pytest.mark.parametrize(
    ("date", "kind", "note", "field"),
    [
        ("2025-13-01", "holiday", "", "date"),
        ("", "holiday", "", "date"),
        (dt.datetime(2025, 1, 1, tzinfo=SHANGHAI), "holiday", "", "date"),
        ("2025-10-01", "vacation", "", "kind"),
        ("2025-10-01", "holiday", "x" * 101, "note"),
    ],
)
def test_exception_validation(office, admin_user, date, kind, note, field):
    with pytest.raises(ValidationFailed) as caught:
        services.set_calendar_exception(
            actor=admin_user, calendar_id=office.pk, date=date, kind=kind, note=note
        )
    assert field in caught.value.errors


def test_spec_for_costs_one_query(office, django_assert_num_queries):
    calendar = BusinessCalendar.objects.get(pk=office.pk)
    with django_assert_num_queries(1):
        spec_for(calendar)
    calendar = BusinessCalendar.objects.prefetch_related("exceptions").get(pk=office.pk)
    with django_assert_num_queries(0):
        spec_for(calendar)


def test_missing_holiday_data_is_reported(office, admin_user):
    uncovered = max(china_holiday_years()) + 1
    assert services.calendar_warnings(office, today=dt.date(uncovered - 2, 6, 1)) == []
    warnings = services.calendar_warnings(office, today=dt.date(uncovered - 1, 6, 1))
    assert len(warnings) == 1 and str(uncovered) in warnings[0]
    assert len(services.calendar_warnings(office, today=dt.date(uncovered, 6, 1))) == 2
    assert missing_holiday_years(office, [uncovered]) == [uncovered]

    # The year falls back to weekends: a weekday in early October is worked.
    day = dt.date(uncovered, 10, 1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)
    assert is_business_time(spec_for(office), moment)

    # The admin enters that year's holidays by hand and declares the year done.
    services.set_calendar_exception(
        actor=admin_user, calendar_id=office.pk, date=day, kind="holiday", note="国庆节"
    )
    office = services.update_calendar(
        actor=admin_user, calendar_id=office.pk, data={"manual_holiday_years": [uncovered]}
    )
    assert not is_business_time(spec_for(office), moment)
    assert services.calendar_warnings(office, today=dt.date(uncovered - 1, 6, 1)) == []
    assert missing_holiday_years(spec_for(office), [uncovered, uncovered + 1]) == [uncovered + 1]

    seven_by_24 = BusinessCalendar.objects.get(is_builtin=True)
    assert services.calendar_warnings(seven_by_24, today=dt.date(uncovered, 6, 1)) == []
