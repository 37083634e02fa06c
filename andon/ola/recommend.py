"""Recommended OLA thresholds from a queue's history (数据驱动配置).

For each priority, the queue's resolved tickets of the last `days` days give business-time samples
(created → first response, created → resolved, measured on the policy's calendar). The proposal is
a high percentile rounded up to a value people use (15 min, 1 h, 1 d …), shown with the sample
size and how many past tickets would have breached it. Fewer than MIN_SAMPLES samples → no
proposal for that priority, and the reason is given.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.utils import timezone

from andon.ola.businesstime import business_seconds_between, spec_for
from andon.ola.models import PRIORITIES, BusinessCalendar, OlaPolicy

MIN_SAMPLES = 10
PERCENTILE = 90
MAX_SAMPLES = 20_000
# Minutes a person would choose: up to an hour in 5–15 min steps, then hours, then days.
NICE_MINUTES = [
    5,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    240,
    300,
    360,
    480,
    600,
    720,
    960,
    1200,
    1440,
] + [1440 * d for d in (2, 3, 4, 5, 7, 10, 14, 21, 30)]


@dataclass
class Proposal:
    priority: str
    samples: int
    percentile_seconds: int | None
    proposed_minutes: int | None
    would_breach: int | None
    current_minutes: int | None
    reason: str = ""


def nice_minutes(seconds: int) -> int:
    minutes = math.ceil(seconds / 60)
    for value in NICE_MINUTES:
        if value >= minutes:
            return value
    return math.ceil(minutes / 1440) * 1440


def percentile(values: list[int], pct: int) -> int:
    """Nearest-rank percentile (the smallest value with at least pct % of samples at or below)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _propose(priority, samples, current) -> Proposal:
    if len(samples) < MIN_SAMPLES:
        return Proposal(
            priority,
            len(samples),
            None,
            None,
            None,
            current,
            reason=f"样本不足（{len(samples)} 条，至少需要 {MIN_SAMPLES} 条）",
        )
    value = percentile(samples, PERCENTILE)
    minutes = nice_minutes(value)
    breaches = sum(1 for s in samples if s > minutes * 60)
    return Proposal(priority, len(samples), value, minutes, breaches, current)


def recommend(*, queue, days: int = 90, now=None) -> dict:
    from andon.tickets.models import Ticket

    now = now or timezone.now()
    policy = OlaPolicy.objects.filter(queue=queue).select_related("calendar").first()
    calendar = policy.calendar if policy else BusinessCalendar.objects.order_by("id").first()
    spec = spec_for(calendar)
    rows = list(
        Ticket.objects.filter(
            queue=queue,
            created_at__gte=now - timedelta(days=days),
            resolved_at__isnull=False,
        )
        .order_by("-id")
        .values_list("priority", "created_at", "first_response_at", "resolved_at", "urge_count")[
            :MAX_SAMPLES
        ]
    )
    response: dict[str, list[int]] = {p: [] for p in PRIORITIES}
    resolution: dict[str, list[int]] = {p: [] for p in PRIORITIES}
    urges: list[int] = []
    for priority, created, first_response, resolved, urge_count in rows:
        if first_response:
            response[priority].append(business_seconds_between(spec, created, first_response))
        resolution[priority].append(business_seconds_between(spec, created, resolved))
        urges.append(urge_count)
    current_response = policy.response_minutes if policy else {}
    current_resolution = policy.resolution_minutes if policy else {}
    urge = None
    if len(urges) >= MIN_SAMPLES:
        p = percentile(urges, 95)
        urge = {
            "samples": len(urges),
            "percentile": 95,
            "percentile_value": p,
            "proposed": max(2, p + 1),
            "would_breach": sum(1 for u in urges if u >= max(2, p + 1)),
            "current": policy.urge_threshold if policy else None,
        }
    return {
        "queue": queue.pk,
        "days": days,
        "percentile": PERCENTILE,
        "calendar": {"id": calendar.pk, "name": calendar.name},
        "tickets": len(rows),
        "response": [asdict(_propose(p, response[p], current_response.get(p))) for p in PRIORITIES],
        "resolution": [
            asdict(_propose(p, resolution[p], current_resolution.get(p))) for p in PRIORITIES
        ],
        "urge": urge,
        "reason": "" if rows else f"最近 {days} 天没有已解决的工单",
    }
