"""Business time: the pure functions OLA due times are computed with.

A calendar is described by an immutable `CalendarSpec` (built from a `BusinessCalendar` row by
`spec_for`, or from plain values by `build_spec`). Nothing here touches the database, so a spec can
be cached and the functions are cheap to test exhaustively.

Semantics, decided once and relied on by the OLA engine:

* **Working time** is a set of half-open real-time intervals `[start, end)`. Each calendar day has
  up to a few windows in wall-clock time (minute precision, a window may end at 24:00).
* **Which days work.** An admin exception (`holiday` / `workday`) wins; otherwise, when the calendar
  follows China's holidays, the `chinesecalendar` package decides for the years it covers; otherwise
  (or for a year it does not cover) Monday–Sunday simply use their own windows, so a year without
  holiday data falls back to plain weekends — `missing_holiday_years` tells the admin.
* **Make-up working days (调休).** A date declared a working day whose weekday has no windows
  (a Saturday or Sunday in a Monday–Friday calendar) uses the windows of the first weekday,
  counting from Monday, that has any — Monday's windows for every usual calendar. A declared
  working day whose weekday already has windows keeps them.
* **Daylight saving time: real elapsed seconds are counted.** A window covers every instant from the
  *first* moment the wall clock shows its start to the *last* moment it shows its end. On a
  spring-forward day a window 01:00–04:00 in Europe/Berlin therefore lasts 2 hours, on the fall-back
  day 4 hours. A wall time that does not exist (inside the skipped hour) means the moment the clocks
  jump, so a window that lies wholly inside the skipped hour is empty that day.
* `add_business_time(spec, start, 0)` returns `start` itself; for `seconds > 0`, counting starts at
  `start` if that is working time, else at the next window start, and a due time that falls exactly
  on a window's end is that end (18:00, not the next morning's 09:00).

Only timezone-aware datetimes are accepted (naive ones raise `ValueError`); results are in the
calendar's zone. Internally instants are integer microseconds since the epoch.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

Window = tuple[int, int]  # (start minute, end minute) within a day, 0 <= start < end <= 1440
DayWindows = tuple[Window, ...]
Weekly = tuple[DayWindows, ...]  # seven entries, Monday first

_US = 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)
_ONE_DAY = dt.timedelta(days=1)
_LAST_DAY = dt.date(9999, 12, 24)  # leave room for the day look-ahead near datetime.max


# --------------------------------------------------------------------------------------------
# Windows: the stored form {"mon": [["09:00", "12:00"], ...], ...}
# --------------------------------------------------------------------------------------------


def parse_clock(text, *, allow_24: bool) -> int:
    """'HH:MM' → minutes after midnight; '24:00' only when `allow_24` (a window's end)."""
    if not isinstance(text, str):
        raise ValueError(f"not a HH:MM time: {text!r}")
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        raise ValueError(f"not a HH:MM time: {text!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"time out of range: {text!r}")
    return hours * 60 + minutes


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def weekly_from_json(raw) -> Weekly:
    """The stored form {"mon": [["09:00", "12:00"], …], …} (a missing day has no windows) or a
    list of seven such day lists, Monday first → minute windows. Strict: raises ValueError.
    Friendly per-field messages for admins come from calendar_services."""
    if isinstance(raw, list | tuple):
        if len(raw) != 7:
            raise ValueError("need seven days, Monday first")
        raw = dict(zip(WEEKDAY_KEYS, raw, strict=True))
    if not isinstance(raw, Mapping):
        raise ValueError("weekly windows must be a mapping keyed mon…sun")
    unknown = set(raw) - set(WEEKDAY_KEYS)
    if unknown:
        raise ValueError(f"unknown weekdays: {sorted(map(str, unknown))}")
    weekly = []
    for key in WEEKDAY_KEYS:
        day = []
        for item in raw.get(key) or ():
            if not isinstance(item, list | tuple) or len(item) != 2:
                raise ValueError(f"{key}: a window is [start, end], got {item!r}")
            day.append((parse_clock(item[0], allow_24=False), parse_clock(item[1], allow_24=True)))
        weekly.append(_check_minutes(day))
    return tuple(weekly)


def weekly_to_json(weekly: Weekly) -> dict[str, list[list[str]]]:
    """The canonical stored form: every weekday key present, windows sorted, zero-padded."""
    return {
        key: [[format_clock(s), format_clock(e)] for s, e in day]
        for key, day in zip(WEEKDAY_KEYS, weekly, strict=True)
    }


def validate_time_zone(name) -> str:
    """An IANA zone name known to zoneinfo (surrounding spaces dropped). Raises ValueError."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a time zone is required")
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


# --------------------------------------------------------------------------------------------
# China's public holidays from the `chinesecalendar` package
# --------------------------------------------------------------------------------------------


@functools.cache
def china_holiday_years() -> frozenset[int]:
    """Years the installed `chinesecalendar` has data for (it raises NotImplementedError for the
    others; chinesecalendar 1.11.0 covers 2004–2026)."""
    known = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    if not known:
        return frozenset()
    covered = set()
    for year in range(min(known), max(known) + 1):
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            continue
        covered.add(year)
    return frozenset(covered)


@functools.cache
def china_holiday_dates() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off, make-up working days) for every year the package covers. The package's day-off
    list also holds the weekend days inside a holiday run; that is harmless here."""
    years = china_holiday_years()
    holidays = frozenset(d for d in chinese_calendar.holidays if d.year in years)
    workdays = frozenset(d for d in chinese_calendar.workdays if d.year in years)
    return holidays, workdays


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSpec:
    """Everything the business-time functions need, immutable and hashable.

    `holidays` and `workdays` are the *resolved* exceptional dates (package data merged with the
    admin's entries, admin winning); they must be disjoint. `holiday_years` are the years whose
    holiday data is known (only meaningful when `follows_china_holidays`)."""

    time_zone: str
    weekly: Weekly
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    follows_china_holidays: bool = False
    holiday_years: frozenset[int] = frozenset()
    name: str = ""

    # Derived in __post_init__; not part of equality or the hash.
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _makeup: DayWindows = field(init=False, repr=False, compare=False)
    _week_us: int = field(init=False, repr=False, compare=False)
    _specials: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)
    _days: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self):
        tz = ZoneInfo(validate_time_zone(self.time_zone))
        if len(self.weekly) != 7:
            raise ValueError("weekly needs seven days, Monday first")
        weekly = tuple(_check_minutes(day) for day in self.weekly)
        holidays, workdays = frozenset(self.holidays), frozenset(self.workdays)
        if holidays & workdays:
            raise ValueError(f"dates both holiday and workday: {sorted(holidays & workdays)}")
        setter = object.__setattr__
        setter(self, "weekly", weekly)
        setter(self, "holidays", holidays)
        setter(self, "workdays", workdays)
        setter(self, "holiday_years", frozenset(self.holiday_years))
        setter(self, "_tz", tz)
        setter(self, "_makeup", next((day for day in weekly if day), ()))
        setter(self, "_week_us", sum(e - s for day in weekly for s, e in day) * 60 * _US)
        # Only the dates that actually differ from their weekday's windows matter for skipping.
        specials = {d for d in holidays if weekly[d.weekday()]}
        specials |= {d for d in workdays if not weekly[d.weekday()]}
        setter(self, "_specials", tuple(sorted(specials)))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def has_working_time(self) -> bool:
        return self._week_us > 0

    def windows_on(self, day: dt.date) -> DayWindows:
        """The wall-clock windows that apply on `day` after holidays and make-up days."""
        if day in self.holidays:
            return ()
        own = self.weekly[day.weekday()]
        if day in self.workdays:
            return own or self._makeup
        return own

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.windows_on(day))

    # -- instants --------------------------------------------------------------------------

    def _wall_us(self, day: dt.date, minute: int, *, latest: bool) -> int:
        """The instant the wall clock shows `day` + `minute`: the earliest such instant for a
        window start, the latest for a window end; the clock jump for a wall time that does not
        exist."""
        naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
        us = _to_us(naive.replace(tzinfo=self._tz, fold=1 if latest else 0))
        if _wall(us, self._tz) != naive:
            return _gap_end_us(self._tz, naive)
        return us

    def _day(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """Working intervals of `day` in microseconds, sorted, merged, non-empty. Memoised."""
        cached = self._days.get(day)
        if cached is None:
            intervals = []
            for s, e in self.windows_on(day):
                start = self._wall_us(day, s, latest=False)
                end = self._wall_us(day, e, latest=True)
                if end <= start:
                    continue  # swallowed by a spring-forward jump
                if intervals and start <= intervals[-1][1]:
                    intervals[-1] = (intervals[-1][0], max(intervals[-1][1], end))
                else:
                    intervals.append((start, end))
            cached = self._days[day] = tuple(intervals)
        return cached

    def _midnight_us(self, day: dt.date) -> int:
        return self._wall_us(day, 0, latest=False)

    def _plain_week(self, day: dt.date) -> bool:
        """True when the seven days from `day` hold no exceptional dates and the zone keeps one
        unambiguous UTC offset at each of their midnights, so the week is exactly the weekly
        pattern (assumes no zone changes its offset twice within a week)."""
        i = bisect.bisect_left(self._specials, day)
        if i < len(self._specials) and self._specials[i] < day + dt.timedelta(days=7):
            return False
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=self._tz)
        offset = midnight.utcoffset()
        for k in range(8):
            moment = midnight + dt.timedelta(days=k)
            if moment.utcoffset() != offset or moment.replace(fold=1).utcoffset() != offset:
                return False
        return True


def build_spec(
    *,
    time_zone: str,
    weekly: Weekly | Mapping | list,
    follows_china_holidays: bool = False,
    exceptions: Iterable[tuple[dt.date, str]] = (),
    manual_holiday_years: Iterable[int] = (),
    name: str = "",
) -> CalendarSpec:
    """A spec from plain values. `weekly` is either minute tuples (seven days, Monday first) or the
    stored {"mon": [["09:00", "12:00"]], …} form. `exceptions` are the admin's (date, "holiday" |
    "workday") entries; they override the package both ways. `manual_holiday_years` are years the
    admin declared complete by hand, so they do not count as missing."""
    if isinstance(weekly, Mapping) or _looks_like_json(weekly):
        weekly = weekly_from_json(weekly)
    admin_off: set[dt.date] = set()
    admin_on: set[dt.date] = set()
    for day, kind in exceptions:
        if kind == "holiday":
            admin_off.add(day)
            admin_on.discard(day)
        elif kind == "workday":
            admin_on.add(day)
            admin_off.discard(day)
        else:
            raise ValueError(f"unknown exception kind {kind!r}")
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    years: set[int] = set()
    if follows_china_holidays:
        package_off, package_on = china_holiday_dates()
        holidays |= package_off
        workdays |= package_on
        years = set(china_holiday_years()) | {int(y) for y in manual_holiday_years}
    holidays = (holidays - admin_on) | admin_off
    workdays = (workdays - admin_off) | admin_on
    return CalendarSpec(
        time_zone=time_zone,
        weekly=tuple(tuple(day) for day in weekly),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        follows_china_holidays=follows_china_holidays,
        holiday_years=frozenset(years),
        name=name,
    )


def spec_for(calendar) -> CalendarSpec:
    """The spec of a `BusinessCalendar` row (one query for its exceptions, none if prefetched)."""
    return build_spec(
        time_zone=calendar.time_zone,
        weekly=calendar.weekly_windows,
        follows_china_holidays=calendar.follows_china_holidays,
        exceptions=[(e.date, e.kind) for e in calendar.exceptions.all()],
        manual_holiday_years=calendar.manual_holiday_years or (),
        name=calendar.name,
    )


def missing_holiday_years(calendar_or_spec, years: Iterable[int]) -> list[int]:
    """Of `years`, those in which a calendar that follows China's holidays has no holiday data and
    therefore runs on plain weekends (plus any dates the admin entered). Empty for a calendar that
    does not follow China's holidays."""
    spec = calendar_or_spec
    if not isinstance(spec, CalendarSpec):
        if not calendar_or_spec.follows_china_holidays:
            return []
        manual = {int(y) for y in calendar_or_spec.manual_holiday_years or ()}
        known = china_holiday_years() | manual
        return sorted({y for y in years if y not in known})
    if not spec.follows_china_holidays:
        return []
    return sorted({y for y in years if y not in spec.holiday_years})


# --------------------------------------------------------------------------------------------
# The business-time functions
# --------------------------------------------------------------------------------------------


def is_business_time(spec: CalendarSpec, moment: dt.datetime) -> bool:
    m = _aware_us(moment, "moment")
    day = _local_date(m, spec.tz) - _ONE_DAY
    for d in (day, day + _ONE_DAY, day + 2 * _ONE_DAY):
        for s, e in spec._day(d):
            if s <= m < e:
                return True
    return False


def next_business_moment(spec: CalendarSpec, moment: dt.datetime) -> dt.datetime:
    """`moment` itself if it is working time, else the start of the next window."""
    m = _aware_us(moment, "moment")
    _require_working_time(spec)
    day = _local_date(m, spec.tz) - _ONE_DAY
    while True:
        for s, e in spec._day(day):
            if e > m:
                return _from_us(max(s, m), spec.tz)
        day = _next_day(day)


def add_business_time(spec: CalendarSpec, start: dt.datetime, seconds: int) -> dt.datetime:
    """The moment `seconds` of working time after `start` (see the module doc for the edges)."""
    cur = _aware_us(start, "start")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError("seconds must be an int")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if seconds == 0:
        return _from_us(cur, spec.tz)
    _require_working_time(spec)
    remaining = seconds * _US
    day = _local_date(cur, spec.tz) - _ONE_DAY
    while True:
        # Whole ordinary weeks at once; strictly more than a week left so the answer is not
        # the last window end of the skipped week.
        while remaining > spec._week_us and spec._plain_week(day) and spec._midnight_us(day) >= cur:
            remaining -= spec._week_us
            day = _next_day(day, 7)
            cur = spec._midnight_us(day)
        for s, e in spec._day(day):
            if e <= cur:
                continue
            s = max(s, cur)
            if remaining <= e - s:
                return _from_us(s + remaining, spec.tz)
            remaining -= e - s
            cur = e
        day = _next_day(day)


def business_seconds_between(spec: CalendarSpec, start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds in `[start, end)`, rounded down; 0 when `end <= start`."""
    cur = _aware_us(start, "start")
    stop = _aware_us(end, "end")
    if stop <= cur:
        return 0
    total = 0
    day = _local_date(cur, spec.tz) - _ONE_DAY
    # A day's windows start at or after its midnight, so later days cannot reach back before
    # `stop`; one spare day covers a zone falling back across midnight.
    last = _local_date(stop, spec.tz) + _ONE_DAY
    while day <= last:
        while spec._week_us and spec._plain_week(day) and spec._midnight_us(day) >= cur:
            week_end = spec._midnight_us(day + dt.timedelta(days=7))
            if week_end > stop:
                break
            total += spec._week_us
            day = _next_day(day, 7)
            cur = week_end
        for s, e in spec._day(day):
            s, e = max(s, cur), min(e, stop)
            if e > s:
                total += e - s
                cur = e
        day = _next_day(day)
    return total // _US


def nth_working_day(
    spec: CalendarSpec, moment: dt.datetime, n: int
) -> tuple[dt.datetime, dt.datetime]:
    """The first window start and the last window end of the `n`-th working day after the local
    day `moment` falls on (`n` >= 1). "Answer within N working days" gives the whole of the
    following N working days, so it ends when the last of them closes."""
    m = _aware_us(moment, "moment")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError("n must be a positive int")
    _require_working_time(spec)
    day = _local_date(m, spec.tz)
    found = 0
    while True:
        day = _next_day(day)
        windows = spec._day(day)
        if windows:
            found += 1
            if found == n:
                return _from_us(windows[0][0], spec.tz), _from_us(windows[-1][1], spec.tz)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _aware_us(moment, label: str) -> int:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"{label} must be a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{label} must be timezone-aware")
    return _to_us(moment)


def _to_us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _ONE_US


def _from_us(us: int, tz: ZoneInfo) -> dt.datetime:
    return (_EPOCH + dt.timedelta(microseconds=us)).astimezone(tz)


def _wall(us: int, tz: ZoneInfo) -> dt.datetime:
    return _from_us(us, tz).replace(tzinfo=None, fold=0)


def _local_date(us: int, tz: ZoneInfo) -> dt.date:
    return _from_us(us, tz).date()


def _gap_end_us(tz: ZoneInfo, naive: dt.datetime) -> int:
    """The instant the clocks jump over the non-existent wall time `naive`: the first instant whose
    wall time is at or after it. Bisects between the two readings of `naive` (transitions are on
    whole seconds)."""
    a = _to_us(naive.replace(tzinfo=tz, fold=0))
    b = _to_us(naive.replace(tzinfo=tz, fold=1))
    lo, hi = min(a, b) // _US, -(-max(a, b) // _US)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(mid * _US, tz) >= naive:
            hi = mid
        else:
            lo = mid
    return hi * _US


def _looks_like_json(weekly) -> bool:
    return any(isinstance(edge, str) for day in weekly for window in day for edge in window)


def _check_minutes(day) -> DayWindows:
    windows = tuple(sorted((int(s), int(e)) for s, e in day))
    previous_end = 0
    for s, e in windows:
        if not 0 <= s < e <= MINUTES_PER_DAY or s < previous_end:
            raise ValueError(f"bad or overlapping windows: {windows}")
        previous_end = e
    return windows


def _next_day(day: dt.date, days: int = 1) -> dt.date:
    if day >= _LAST_DAY - dt.timedelta(days=days):
        raise ValueError("business time runs past the end of the supported date range")
    return day + dt.timedelta(days=days)


def _require_working_time(spec: CalendarSpec) -> None:
    if not spec.has_working_time:
        raise ValueError(f"calendar {spec.name or spec.time_zone!r} has no working windows")
