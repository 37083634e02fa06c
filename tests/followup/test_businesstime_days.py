"""`nth_working_day`: the N working days a requester has to confirm."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from andon.ola.businesstime import build_spec, nth_working_day
from andon.ola.models import default_weekly_windows

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = build_spec(time_zone="Asia/Shanghai", weekly=default_weekly_windows())
CHINA = build_spec(
    time_zone="Asia/Shanghai", weekly=default_weekly_windows(), follows_china_holidays=True
)


def test_a_friday_resolution_has_monday_to_wednesday():
    start, end = nth_working_day(OFFICE, datetime(2026, 12, 4, 15, 0, tzinfo=TZ), 3)
    assert start == datetime(2026, 12, 9, 9, 0, tzinfo=TZ)
    assert end == datetime(2026, 12, 9, 18, 0, tzinfo=TZ)


def test_national_day_is_skipped_and_the_makeup_saturday_counts():
    # 2025: 1–8 October off, Saturday 11 October a make-up working day (调休).
    resolved = datetime(2025, 9, 30, 15, 0, tzinfo=TZ)
    assert nth_working_day(CHINA, resolved, 1)[0] == datetime(2025, 10, 9, 9, 0, tzinfo=TZ)
    assert nth_working_day(CHINA, resolved, 3)[1] == datetime(2025, 10, 11, 18, 0, tzinfo=TZ)


def test_a_round_the_clock_calendar_counts_whole_days():
    spec = build_spec(
        time_zone="Asia/Shanghai",
        weekly={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    start, end = nth_working_day(spec, datetime(2026, 12, 5, 23, 0, tzinfo=TZ), 1)
    assert (start, end) == (
        datetime(2026, 12, 6, 0, 0, tzinfo=TZ),
        datetime(2026, 12, 7, 0, 0, tzinfo=TZ),
    )


@pytest.mark.parametrize("n", [0, -1, True, 1.5])
def test_bad_counts_are_refused(n):
    with pytest.raises(ValueError):
        nth_working_day(OFFICE, datetime(2026, 12, 4, tzinfo=TZ), n)
