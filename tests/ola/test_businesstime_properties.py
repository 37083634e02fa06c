"""Property tests: random calendars (zones with and without DST, lunch breaks, touching windows,
windows ending at 24:00, China's holidays, admin exceptions), random starts and durations."""

import datetime as dt

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from andon.ola.businesstime import (
    add_business_time,
    build_spec,
    business_seconds_between,
    is_business_time,
    next_business_moment,
)
from tests.ola.test_businesstime import _reference_between

ZONES = [
    "Asia/Shanghai",
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Havana",  # DST changes at midnight
    "America/Santiago",  # DST changes at midnight, southern hemisphere
    "Asia/Kathmandu",  # +05:45
]
ONE_US = dt.timedelta(microseconds=1)
UTC = dt.UTC

PROFILE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def day_windows(draw):
    """Sorted, non-overlapping windows; neighbours may touch; 24:00 may close the day."""
    edges = sorted(draw(st.lists(st.integers(0, 1440), max_size=6)))
    windows = []
    for start, end in zip(edges[::2], edges[1::2], strict=False):
        if start < end and (not windows or start >= windows[-1][1]):
            windows.append((start, end))
    return tuple(windows)


@st.composite
def specs(draw):
    weekly = tuple(
        draw(st.one_of(st.just(()), day_windows(), st.just(((540, 720), (810, 1080)))))
        for _ in range(7)
    )
    assume(any(weekly))
    exceptions = draw(
        st.dictionaries(
            st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
            st.sampled_from(["holiday", "workday"]),
            max_size=12,
        )
    )
    return build_spec(
        time_zone=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        follows_china_holidays=draw(st.booleans()),
        exceptions=exceptions.items(),
    )


moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)
)


def durations(spec, data, weeks=30):
    """Up to about `weeks` weeks of the calendar's work, so sparse calendars stay quick."""
    week = spec._week_us // 1_000_000
    return data.draw(st.integers(0, max(week * weeks, 1)))


def utc(moment):
    # Datetimes sharing a tzinfo compare by wall time, ignoring fold; compare instants instead.
    return moment.astimezone(UTC)


def is_window_end(spec, moment):
    return not is_business_time(spec, moment) and is_business_time(spec, moment - ONE_US)


@PROFILE
@given(spec=specs(), start=moments, data=st.data())
def test_between_inverts_add(spec, start, data):
    seconds = durations(spec, data)
    due = add_business_time(spec, start, seconds)
    assert due >= start
    assert due.tzinfo == spec.tz
    assert business_seconds_between(spec, start, due) == seconds
    if seconds:
        assert is_business_time(spec, due) or is_window_end(spec, due)
        # …and it is the earliest such moment.
        assert business_seconds_between(spec, start, due - ONE_US) == seconds - 1
        again = add_business_time(spec, next_business_moment(spec, start), seconds)
        assert utc(due) == utc(again)
    else:
        assert utc(due) == start


@PROFILE
@given(spec=specs(), start=moments, data=st.data())
def test_add_is_monotonic(spec, start, data):
    a = durations(spec, data)
    b = durations(spec, data)
    low, high = sorted((a, b))
    early, late = (
        utc(add_business_time(spec, start, low)),
        utc(add_business_time(spec, start, high)),
    )
    assert early <= late
    if low < high:
        assert early < late


@PROFILE
@given(spec=specs(), start=moments, data=st.data())
def test_add_composes(spec, start, data):
    a = durations(spec, data, weeks=10)
    b = durations(spec, data, weeks=10)
    stepwise = add_business_time(spec, add_business_time(spec, start, a), b)
    assert utc(stepwise) == utc(add_business_time(spec, start, a + b))


@PROFILE
@given(spec=specs(), start=moments, data=st.data())
def test_between_matches_day_by_day_reference_and_adds_up(spec, start, data):
    start = start.replace(microsecond=0)
    first = start + dt.timedelta(seconds=data.draw(st.integers(0, 40 * 86400)))
    second = first + dt.timedelta(seconds=data.draw(st.integers(0, 40 * 86400)))
    whole = business_seconds_between(spec, start, second)
    assert whole == _reference_between(spec, start, second)
    assert whole == business_seconds_between(spec, start, first) + business_seconds_between(
        spec, first, second
    )
    assert 0 <= whole <= (second - start).total_seconds()


@PROFILE
@given(spec=specs(), moment=moments)
def test_next_business_moment_is_business_time(spec, moment):
    following = utc(next_business_moment(spec, moment))
    assert following >= moment
    assert is_business_time(spec, following)
    if following > moment:
        assert business_seconds_between(spec, moment, following) == 0
    assert (following == moment) == is_business_time(spec, moment)
