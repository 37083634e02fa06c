"""Form helpers of the OLA configuration pages: the weekday windows editor and the policy form.
Values are only reshaped here; the services validate them and report per-field errors."""

from __future__ import annotations

import re

from andon.ola.businesstime import WEEKDAY_KEYS
from andon.ola.models import PRIORITIES

WEEKDAY_LABELS = dict(zip(WEEKDAY_KEYS, "一二三四五六日", strict=True))
_SPLIT = re.compile(r"[,，;；\s]+")


def windows_text(windows) -> str:
    """[["09:00", "12:00"], …] → "09:00-12:00, 13:30-18:00"."""
    return ", ".join(f"{start}-{end}" for start, end in windows or [])


def parse_windows_text(text: str):
    """ "09:00-12:00, 13:30-18:00" → [["09:00", "12:00"], …]; a malformed piece is kept as a
    one-element list so the service rejects it with its own message."""
    result = []
    for piece in _SPLIT.split((text or "").strip()):
        if not piece:
            continue
        parts = re.split(r"[-–~～至]", piece)
        result.append([p.strip() for p in parts] if len(parts) == 2 else [piece])
    return result


def weekly_rows(weekly_windows: dict, posted=None) -> list[dict]:
    rows = []
    for key in WEEKDAY_KEYS:
        value = (
            posted.get(f"day_{key}", "")
            if posted is not None
            else windows_text(weekly_windows.get(key))
        )
        rows.append({"key": key, "label": WEEKDAY_LABELS[key], "value": value})
    return rows


def calendar_data_from_post(post) -> dict:
    years = [y for y in _SPLIT.split(post.get("manual_holiday_years", "").strip()) if y]
    return {
        "name": post.get("name", ""),
        "description": post.get("description", ""),
        "time_zone": post.get("time_zone", "").strip() or "Asia/Shanghai",
        "weekly_windows": {k: parse_windows_text(post.get(f"day_{k}", "")) for k in WEEKDAY_KEYS},
        "follows_china_holidays": post.get("follows_china_holidays") == "on",
        "manual_holiday_years": years,
    }


def _int_or_raw(value: str):
    value = (value or "").strip()
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return value


def policy_data_from_post(post) -> dict:
    return {
        "calendar": _int_or_raw(post.get("calendar")),
        "response_minutes": {p: _int_or_raw(post.get(f"response_{p}")) for p in PRIORITIES},
        "resolution_minutes": {p: _int_or_raw(post.get(f"resolution_{p}")) for p in PRIORITIES},
        "urge_threshold": _int_or_raw(post.get("urge_threshold")),
        "warn_at_percent": _int_or_raw(post.get("warn_at_percent")),
        "escalation_interval_minutes": _int_or_raw(post.get("escalation_interval_minutes")),
        "max_level": _int_or_raw(post.get("max_level")),
    }
