"""Hand-picked business-time cases. Pure: no database."""

import datetime as dt
import pickle
import time
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from andon.ola.businesstime import (
    CalendarSpec,
    add_business_time,
    build_spec,
    business_seconds_between,
    china_holiday_years,
    is_business_time,
    missing_holiday_years,
    next_business_moment,
    weekly_from_json,
    weekly_to_json,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600
WORKDAY = [["09:00", "12:00"], ["13:30", "18:00"]]  # 7.5 h with a lunch break
OFFICE = {"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY}
DAY = 7.5 * HOUR


def sh(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def china():
    return build_spec(time_zone="Asia/Shanghai", weekly=OFFICE, follows_china_holidays=True)


@pytest.fixture(scope="module")
def plain():
    return build_spec(time_zone="Asia/Shanghai", weekly=OFFICE)


@pytest.fixture(scope="module")
def round_the_clock():
    return build_spec(time_zone="Asia/Shanghai", weekly=[[["00:00", "24:00"]]] * 7)


# -- China's holidays ----------------------------------------------------------------------


def test_known_dates_written_by_hand(china):
    # National Day 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are worked.
    assert not is_business_time(china, sh(2025, 10, 1, 10))
    assert not is_business_time(china, sh(2025, 10, 8, 10))
    assert is_business_time(china, sh(2025, 9, 28, 10))
    assert dt.date(2025, 9, 28).weekday() == 6
    assert is_business_time(china, sh(2025, 10, 11, 15))
    # The make-up Sunday has Monday's windows: lunch break included.
    assert not is_business_time(china, sh(2025, 9, 28, 12, 30))
    assert business_seconds_between(china, sh(2025, 9, 28), sh(2025, 9, 29)) == DAY
    # Thursday 2 Oct … Wednesday 8 Oct are off, Thursday 9 Oct is a normal day.
    assert add_business_time(china, sh(2025, 9, 30, 17), 2 * HOUR) == sh(2025, 10, 9, 10)


def _spring_festival_2026():
    name = chinese_calendar.Holiday.spring_festival.value
    off = sorted(d for d, n in chinese_calendar.holidays.items() if d.year == 2026 and n == name)
    worked = sorted(d for d, n in chinese_calendar.workdays.items() if d.year == 2026 and n == name)
    return off, worked


def test_spring_festival_2026(china):
    off, worked = _spring_festival_2026()
    assert len(off) >= 7 and worked, "the package should know the 2026 Spring Festival"
    assert all(d.weekday() >= 5 for d in worked), "make-up days are weekend days"
    for day in off:
        assert business_seconds_between(china, sh(day.year, day.month, day.day), _next(day)) == 0
    for day in worked:
        start = dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)
        assert is_business_time(china, start)
        assert is_business_time(china, start.replace(hour=17, minute=59))
        assert not is_business_time(china, start.replace(hour=12, minute=45))
        assert business_seconds_between(china, start.replace(hour=0), _next(day)) == DAY

    first_off, last_off = off[0], off[-1]
    before = _previous_working_day(china, first_off)
    after = last_off + dt.timedelta(days=1)
    while after.weekday() >= 5:
        after += dt.timedelta(days=1)
    # One hour before the break + 2 h = 1 h on the day before the break + 1 h after it.
    start = dt.datetime.combine(before, dt.time(17), tzinfo=SHANGHAI)
    assert add_business_time(china, start, 2 * HOUR) == dt.datetime.combine(
        after, dt.time(10), tzinfo=SHANGHAI
    )
    assert business_seconds_between(
        china, start, dt.datetime.combine(after, dt.time(10), tzinfo=SHANGHAI)
    ) == (2 * HOUR)
    # The whole run is skipped by next_business_moment.
    assert next_business_moment(
        china, dt.datetime.combine(first_off, dt.time(10), tzinfo=SHANGHAI)
    ) == dt.datetime.combine(after, dt.time(9), tzinfo=SHANGHAI)

    # As checked by hand against the State Council notice: 15–23 Feb off, Sat 14 and Sat 28 worked.
    assert dt.date(2026, 2, 17) in off and dt.date(2026, 2, 14) in worked
    assert add_business_time(china, sh(2026, 2, 13, 17), 2 * HOUR) == sh(2026, 2, 14, 10)
    assert add_business_time(china, sh(2026, 2, 14, 17), 2 * HOUR) == sh(2026, 2, 24, 10)


def _next(day):
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)


def _previous_working_day(spec, day):
    day -= dt.timedelta(days=1)
    while not spec.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def test_a_calendar_not_following_china_ignores_the_package(plain):
    assert is_business_time(plain, sh(2025, 10, 1, 10))
    assert not is_business_time(plain, sh(2025, 9, 28, 10))
    assert missing_holiday_years(plain, [2099]) == []


def test_admin_exceptions_override_the_package_both_ways():
    spec = build_spec(
        time_zone="Asia/Shanghai",
        weekly=OFFICE,
        follows_china_holidays=True,
        exceptions=[
            (dt.date(2025, 10, 2), "workday"),  # a package holiday (Thursday) worked anyway
            (dt.date(2025, 9, 28), "holiday"),  # a package make-up Sunday given off
            (dt.date(2025, 9, 24), "holiday"),  # an ordinary Wednesday off
            (dt.date(2025, 9, 20), "workday"),  # an ordinary Saturday worked
        ],
    )
    assert is_business_time(spec, sh(2025, 10, 2, 9))
    assert not is_business_time(spec, sh(2025, 10, 1, 9))
    assert not is_business_time(spec, sh(2025, 9, 28, 10))
    assert not is_business_time(spec, sh(2025, 9, 24, 10))
    assert is_business_time(spec, sh(2025, 9, 20, 13, 30))
    assert not is_business_time(spec, sh(2025, 9, 20, 13, 29))
    assert business_seconds_between(spec, sh(2025, 9, 20), sh(2025, 9, 21)) == DAY


def test_makeup_day_uses_mondays_windows():
    spec = build_spec(
        time_zone="Asia/Shanghai",
        weekly={"mon": [["08:00", "10:00"]], "tue": WORKDAY},
        exceptions=[(dt.date(2026, 3, 7), "workday")],  # a Saturday
    )
    assert business_seconds_between(spec, sh(2026, 3, 7), sh(2026, 3, 8)) == 2 * HOUR
    assert is_business_time(spec, sh(2026, 3, 7, 8))
    # A declared working day whose weekday has windows keeps its own.
    spec = build_spec(
        time_zone="Asia/Shanghai",
        weekly={"mon": [["08:00", "10:00"]], "tue": WORKDAY},
        exceptions=[(dt.date(2026, 3, 10), "workday")],  # a Tuesday
    )
    assert business_seconds_between(spec, sh(2026, 3, 10), sh(2026, 3, 11)) == DAY
    # With no Monday windows the first weekday that has some stands in.
    spec = build_spec(
        time_zone="Asia/Shanghai",
        weekly={"wed": [["10:00", "11:00"]], "thu": WORKDAY},
        exceptions=[(dt.date(2026, 3, 8), "workday")],  # a Sunday
    )
    assert business_seconds_between(spec, sh(2026, 3, 8), sh(2026, 3, 9)) == HOUR


def test_year_without_package_data_falls_back_to_weekends_and_is_reported(china):
    covered = china_holiday_years()
    assert min(covered) == 2004 and max(covered) >= 2026
    year = max(covered) + 1
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(year, 10, 1))
    # 1 October would be National Day; without data only weekends are off.
    day = dt.date(year, 10, 1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    assert is_business_time(china, dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI))
    saturday = day + dt.timedelta(days=5 - day.weekday())
    assert not is_business_time(china, dt.datetime.combine(saturday, dt.time(10), tzinfo=SHANGHAI))
    assert missing_holiday_years(china, [year - 1, year, year + 1]) == [year, year + 1]
    # Admin entries still apply in that year; declaring the year done silences the warning.
    manual = build_spec(
        time_zone="Asia/Shanghai",
        weekly=OFFICE,
        follows_china_holidays=True,
        exceptions=[(day, "holiday")],
        manual_holiday_years=[year],
    )
    assert not is_business_time(manual, dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI))
    assert missing_holiday_years(manual, [year, year + 1]) == [year + 1]


# -- windows ------------------------------------------------------------------------------


def test_due_time_on_a_window_end_is_that_end(plain):
    # Monday 9 March 2026.
    assert add_business_time(plain, sh(2026, 3, 9, 11), HOUR) == sh(2026, 3, 9, 12)
    assert add_business_time(plain, sh(2026, 3, 9, 11), HOUR + 1) == sh(2026, 3, 9, 13, 30, 1)
    assert add_business_time(plain, sh(2026, 3, 9, 9), int(DAY)) == sh(2026, 3, 9, 18)
    assert add_business_time(plain, sh(2026, 3, 9, 17, 59, 59), 1) == sh(2026, 3, 9, 18)
    assert not is_business_time(plain, sh(2026, 3, 9, 12))
    # Exactly one week of work from Monday midnight ends on Friday at 18:00, not Monday 09:00.
    assert add_business_time(plain, sh(2026, 3, 9), int(5 * DAY)) == sh(2026, 3, 13, 18)
    assert add_business_time(plain, sh(2026, 3, 9), int(10 * DAY)) == sh(2026, 3, 20, 18)
    assert is_business_time(plain, sh(2026, 3, 9, 11, 59, 59, 999999))


def test_start_inside_lunch_break(plain):
    assert add_business_time(plain, sh(2026, 3, 9, 12, 30), 30 * 60) == sh(2026, 3, 9, 14)
    assert next_business_moment(plain, sh(2026, 3, 9, 12, 30)) == sh(2026, 3, 9, 13, 30)
    assert business_seconds_between(plain, sh(2026, 3, 9, 12, 15), sh(2026, 3, 9, 13, 45)) == 900
    assert business_seconds_between(plain, sh(2026, 3, 9, 12), sh(2026, 3, 9, 13, 30)) == 0


def test_friday_evening_crosses_the_weekend(plain):
    friday = sh(2026, 3, 6, 17)
    assert add_business_time(plain, friday, 2 * HOUR) == sh(2026, 3, 9, 10)
    assert add_business_time(plain, sh(2026, 3, 6, 19), 1) == sh(2026, 3, 9, 9, 0, 1)
    assert business_seconds_between(plain, friday, sh(2026, 3, 9, 10)) == 2 * HOUR
    assert next_business_moment(plain, sh(2026, 3, 7, 12)) == sh(2026, 3, 9, 9)


def test_window_ending_at_midnight_continues_next_morning():
    spec = build_spec(
        time_zone="Asia/Shanghai",
        weekly={"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"], ["09:00", "10:00"]]},
    )
    assert add_business_time(spec, sh(2026, 3, 9, 23), 2 * HOUR) == sh(2026, 3, 10, 1)
    assert add_business_time(spec, sh(2026, 3, 9, 23), HOUR) == sh(2026, 3, 10)
    assert is_business_time(spec, sh(2026, 3, 10))
    assert business_seconds_between(spec, sh(2026, 3, 9), sh(2026, 3, 11)) == 7 * HOUR


def test_round_the_clock(round_the_clock):
    start = sh(2025, 9, 30, 17, 23, 5, 123)
    assert add_business_time(round_the_clock, start, 10 * 86400) == start + dt.timedelta(days=10)
    assert business_seconds_between(round_the_clock, start, start + dt.timedelta(days=3)) == (
        3 * 86400
    )
    assert is_business_time(round_the_clock, sh(2025, 10, 1, 3))
    assert is_business_time(round_the_clock, sh(2026, 2, 17))
    assert next_business_moment(round_the_clock, start) == start
    year = add_business_time(round_the_clock, sh(2026, 1, 1), 365 * 86400)
    assert year == sh(2027, 1, 1)


def test_seconds_zero_is_identity_and_microseconds_are_kept(plain):
    saturday = sh(2026, 3, 7, 12)
    assert add_business_time(plain, saturday, 0) == saturday
    inside = sh(2026, 3, 9, 10, 0, 0, 250_000)
    assert add_business_time(plain, inside, 5) == sh(2026, 3, 9, 10, 0, 5, 250_000)
    assert business_seconds_between(plain, inside, sh(2026, 3, 9, 10, 0, 5, 249_999)) == 4


def test_results_are_in_the_calendars_zone(plain):
    start = dt.datetime(2026, 3, 9, 1, tzinfo=dt.UTC)  # 09:00 in Shanghai
    due = add_business_time(plain, start, HOUR)
    assert due.tzinfo == SHANGHAI and due == sh(2026, 3, 9, 10)
    assert next_business_moment(plain, start).tzinfo == SHANGHAI


def test_bad_input(plain):
    with pytest.raises(ValueError, match="aware"):
        add_business_time(plain, dt.datetime(2026, 3, 9, 10), 60)
    with pytest.raises(ValueError, match="aware"):
        business_seconds_between(plain, sh(2026, 3, 9), dt.datetime(2026, 3, 10))
    with pytest.raises(ValueError, match="aware"):
        is_business_time(plain, dt.datetime(2026, 3, 9, 10))
    with pytest.raises(ValueError, match="aware"):
        next_business_moment(plain, dt.datetime(2026, 3, 9, 10))
    with pytest.raises(ValueError):
        add_business_time(plain, sh(2026, 3, 9), -1)
    with pytest.raises(TypeError):
        add_business_time(plain, sh(2026, 3, 9), 1.5)
    assert business_seconds_between(plain, sh(2026, 3, 10), sh(2026, 3, 9)) == 0
    empty = build_spec(time_zone="UTC", weekly=[[]] * 7)
    with pytest.raises(ValueError, match="no working windows"):
        add_business_time(empty, sh(2026, 3, 9), 60)
    assert business_seconds_between(empty, sh(2026, 3, 9), sh(2026, 4, 9)) == 0
    assert not is_business_time(empty, sh(2026, 3, 9))


def test_spec_validation_and_round_trip():
    weekly = weekly_from_json({"mon": [["13:30", "18:00"], ["9:00", "12:00"]], "sun": []})
    assert weekly[0] == ((540, 720), (810, 1080))
    assert weekly_to_json(weekly)["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    for bad in (
        {"mon": [["09:00", "09:00"]]},
        {"mon": [["24:00", "24:00"]]},
        {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]},
        {"mon": [["09:00", "24:01"]]},
        {"mon": [["09:00:30", "10:00"]]},
        {"xyz": []},
    ):
        with pytest.raises(ValueError):
            weekly_from_json(bad)
    with pytest.raises(ValueError):
        build_spec(time_zone="Mars/Olympus", weekly=OFFICE)
    with pytest.raises(ValueError):
        CalendarSpec(
            time_zone="UTC",
            weekly=((),) * 7,
            holidays=frozenset({dt.date(2026, 1, 1)}),
            workdays=frozenset({dt.date(2026, 1, 1)}),
        )
    a = build_spec(time_zone="Asia/Shanghai", weekly=OFFICE, follows_china_holidays=True)
    b = build_spec(time_zone="Asia/Shanghai", weekly=OFFICE, follows_china_holidays=True)
    assert a == b and hash(a) == hash(b)
    add_business_time(a, sh(2026, 3, 9), HOUR)  # fills the memo; still equal and picklable
    assert pickle.loads(pickle.dumps(a)) == b


# -- daylight saving time -----------------------------------------------------------------


def berlin(*args, fold=0):
    return dt.datetime(*args, tzinfo=BERLIN, fold=fold)


def test_dst_counts_real_elapsed_seconds():
    spec = build_spec(time_zone="Europe/Berlin", weekly=[[["01:00", "04:00"]]] * 7)
    # Spring forward 29 March 2026 at 02:00 → 03:00: the window lasts 2 h.
    assert business_seconds_between(spec, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 2 * HOUR
    assert add_business_time(spec, berlin(2026, 3, 29), 2 * HOUR) == berlin(2026, 3, 29, 4)
    assert add_business_time(spec, berlin(2026, 3, 29), 2 * HOUR + 1) == berlin(
        2026, 3, 30, 1, 0, 1
    )
    # Fall back 25 October 2026 at 03:00 → 02:00: the window lasts 4 h.
    assert business_seconds_between(spec, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 4 * HOUR
    due = add_business_time(spec, berlin(2026, 10, 25, 1), 3 * HOUR)
    assert due == berlin(2026, 10, 25, 3)  # 03:00 CET, after the repeated hour
    assert due.utcoffset() == dt.timedelta(hours=1)
    assert add_business_time(spec, berlin(2026, 10, 25, 1), 4 * HOUR) == berlin(2026, 10, 25, 4)
    # The repeated 02:xx hour is working time both times round.
    assert is_business_time(spec, berlin(2026, 10, 25, 2, 30, fold=0))
    assert is_business_time(spec, berlin(2026, 10, 25, 2, 30, fold=1))
    # Ordinary days stay 3 h; a week spanning the change adds up.
    assert business_seconds_between(spec, berlin(2026, 3, 23), berlin(2026, 3, 30)) == 20 * HOUR
    assert business_seconds_between(spec, berlin(2026, 10, 19), berlin(2026, 10, 26)) == 22 * HOUR


def test_dst_windows_touching_the_repeated_hour():
    # A window ending in the repeated hour runs until the clock shows its end the second time;
    # one starting there starts the first time.
    ends = build_spec(time_zone="Europe/Berlin", weekly=[[["00:00", "02:30"]]] * 7)
    assert business_seconds_between(ends, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 3.5 * HOUR
    due = add_business_time(ends, berlin(2026, 10, 25), int(3.5 * HOUR))
    assert due == berlin(2026, 10, 25, 2, 30, fold=1)
    assert due.utcoffset() == dt.timedelta(hours=1)
    starts = build_spec(time_zone="Europe/Berlin", weekly=[[["02:30", "05:00"]]] * 7)
    assert business_seconds_between(starts, berlin(2026, 10, 25), berlin(2026, 10, 26)) == (
        3.5 * HOUR
    )
    first = next_business_moment(starts, berlin(2026, 10, 25, 1))
    assert first == berlin(2026, 10, 25, 2, 30) and first.utcoffset() == dt.timedelta(hours=2)


def test_dst_windows_inside_the_skipped_hour():
    spec = build_spec(
        time_zone="Europe/Berlin",
        weekly=[[["02:00", "02:30"], ["02:45", "05:00"]]] * 7,
    )
    day = spec.windows_on(dt.date(2026, 3, 29))
    assert len(day) == 2
    # 02:00–02:30 does not exist that day; 02:45 means the jump at 03:00 CEST.
    assert business_seconds_between(spec, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 2 * HOUR
    assert next_business_moment(spec, berlin(2026, 3, 29, 1)) == berlin(2026, 3, 29, 3)
    assert next_business_moment(spec, berlin(2026, 3, 29, 1)).utcoffset() == dt.timedelta(hours=2)
    # A normal day has 30 + 135 minutes.
    assert business_seconds_between(spec, berlin(2026, 3, 30), berlin(2026, 3, 31)) == 165 * 60


def test_dst_america_new_york_office_hours():
    ny = ZoneInfo("America/New_York")
    spec = build_spec(time_zone="America/New_York", weekly=OFFICE)
    # DST starts Sunday 8 March 2026; office windows are unaffected, still 7.5 h a day.
    start = dt.datetime(2026, 3, 6, 17, tzinfo=ny)
    assert add_business_time(spec, start, 2 * HOUR) == dt.datetime(2026, 3, 9, 10, tzinfo=ny)
    assert business_seconds_between(spec, start, dt.datetime(2026, 3, 13, 18, tzinfo=ny)) == (
        HOUR + 5 * DAY
    )


# -- speed --------------------------------------------------------------------------------


def _reference_between(spec, start, end):
    """Day by day without the week skip, straight from the memoised day intervals."""
    lo, hi = _us(start), _us(end)
    day = start.astimezone(spec.tz).date() - dt.timedelta(days=1)
    total, cur = 0, lo
    while day <= end.astimezone(spec.tz).date() + dt.timedelta(days=1):
        for s, e in spec._day(day):
            s, e = max(s, cur), min(e, hi)
            if e > s:
                total += e - s
                cur = e
        day += dt.timedelta(days=1)
    return total // 1_000_000


def _us(moment):
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def test_two_thousand_business_hours_is_fast_and_exact():
    spec = build_spec(time_zone="Asia/Shanghai", weekly=OFFICE, follows_china_holidays=True)
    start = sh(2024, 1, 8, 9)
    began = time.perf_counter()
    due = add_business_time(spec, start, 2000 * HOUR)
    assert time.perf_counter() - began < 0.5
    assert business_seconds_between(spec, start, due) == 2000 * HOUR
    assert _reference_between(spec, start, due) == 2000 * HOUR
    # 2000 h / 7.5 h = 266 working days and 5 hours: a day's second half-day, window boundary.
    assert due.time() == dt.time(15, 30)

    fresh = build_spec(time_zone="Europe/Berlin", weekly=OFFICE)
    began = time.perf_counter()
    due = add_business_time(fresh, berlin(2020, 1, 6, 9), 20_000 * HOUR)  # ~10 years of work
    between = business_seconds_between(fresh, berlin(2020, 1, 6, 9), due)
    assert time.perf_counter() - began < 1.0
    assert between == 20_000 * HOUR
    assert _reference_between(fresh, berlin(2020, 1, 6, 9), due) == 20_000 * HOUR
