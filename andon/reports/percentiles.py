"""Percentiles of OLA durations: exact from the raw timers (percentile_cont on PostgreSQL, an
ordered offset elsewhere) or within 2 % from the roll-up's duration histogram."""

from __future__ import annotations

import math

from django.db import connection
from django.db.models import Aggregate, FloatField, Q, QuerySet, Sum

from andon.ola.models import OlaTimer
from andon.reports.histogram import percentile as histogram_percentile
from andon.reports.models import DailyDuration
from andon.reports.scope import OLA_METRICS

PERCENTILES = (0.5, 0.9)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the nearest ranks)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        if not 0 <= float(percentile) <= 1:
            raise ValueError("percentile must be between 0 and 1")
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


def uses_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


def ordered_offset_percentile(values_qs, n: int, p: float) -> float | None:
    """percentile_cont over an ordered column by reading the one or two rows around the rank."""
    if n <= 0:
        return None
    position = p * (n - 1)
    low, high = math.floor(position), math.ceil(position)
    rows = list(values_qs[low : high + 1])
    if not rows:
        return None
    if len(rows) == 1 or low == high:
        return float(rows[0])
    return float(rows[0]) + (float(rows[1]) - float(rows[0])) * (position - low)


def duration_percentiles(timers: QuerySet[OlaTimer]) -> dict:
    """p50/p90 of the business seconds response and resolution timers took, exact, from the
    raw timers (a roll-up cannot sum percentiles). One query on PostgreSQL; on SQLite a count
    and an ordered-offset read per metric and percentile."""
    out = {}
    if uses_percentile_cont():
        aggregates = {
            f"p{round(p * 100)}_{metric}_seconds": PercentileCont(
                "elapsed_seconds", p, filter=Q(metric=metric, elapsed_seconds__isnull=False)
            )
            for metric in OLA_METRICS
            for p in PERCENTILES
        }
        return {key: rounded(value) for key, value in timers.aggregate(**aggregates).items()}
    for metric in OLA_METRICS:
        ordered = (
            timers.filter(metric=metric, elapsed_seconds__isnull=False)
            .order_by("elapsed_seconds")
            .values_list("elapsed_seconds", flat=True)
        )
        n = ordered.count()
        for p in PERCENTILES:
            out[f"p{round(p * 100)}_{metric}_seconds"] = rounded(
                ordered_offset_percentile(ordered, n, p)
            )
    return out


def histogram_percentiles(buckets: QuerySet[DailyDuration]) -> dict:
    """p50/p90 per metric from the duration histogram (within 2 %, see reports.histogram)."""
    counts: dict[str, list[tuple[int, int]]] = {metric: [] for metric in OLA_METRICS}
    for r in buckets.values("metric", "bucket").annotate(n=Sum("count")):
        counts.setdefault(r["metric"], []).append((r["bucket"], r["n"]))
    return {
        f"p{round(p * 100)}_{metric}_seconds": rounded(histogram_percentile(counts[metric], p))
        for metric in OLA_METRICS
        for p in PERCENTILES
    }


def rate(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)
