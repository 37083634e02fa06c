"""Reads of ratings: one ticket's (for its page and the API) and the CSAT report, scoped like
the other reports (`andon.reports.selectors.report_scope`: queue ids, or None for everything)."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from andon.csat.models import Rating
from andon.csat.services import change_window, is_ratable
from andon.reports.selectors import ReportFilters
from andon.tickets import policies

COMMENTS_LIMIT = 50
SCALE = (
    (1, _("非常不满意")),
    (2, _("不满意")),
    (3, _("一般")),
    (4, _("满意")),
    (5, _("非常满意")),
)
SATISFIED = 4  # 4 and 5 count as satisfied (the usual CSAT percentage)


def ticket_rating(ticket) -> Rating | None:
    return Rating.objects.filter(ticket=ticket).first()


def rating_panel(user, ticket, *, now=None) -> dict:
    """What the ticket page shows: the rating, and whether this person may rate (or change it)."""
    rating = ticket_rating(ticket)
    now = now or timezone.now()
    changeable_until = rating.created_at + change_window() if rating else None
    may_rate = (
        getattr(user, "pk", None) == ticket.requester_id
        and is_ratable(ticket)
        and (rating is None or now <= changeable_until)
    )
    return {
        "rating": rating,
        "may_rate": may_rate,
        "changeable_until": changeable_until,
        "visible": rating is not None or may_rate,
        "staff": policies.is_staff_side(user, ticket),
    }


def scoped_ratings(scope, f: ReportFilters) -> QuerySet[Rating]:
    if scope is not None and not scope:
        return Rating.objects.none()
    condition = Q(created_at__gte=f.start_at, created_at__lt=f.end_at)
    if scope is not None:
        condition &= Q(queue_id__in=scope)
    if f.queue:
        condition &= Q(queue_id=f.queue)
    if f.catalog_entries:
        condition &= Q(catalog_entry_id__in=f.catalog_entries)
    if f.priority:
        condition &= Q(ticket__priority=f.priority)
    if f.handler:
        condition &= Q(handler_id=f.handler)
    if f.channel:
        condition &= Q(ticket__channel=f.channel)
    return Rating.objects.filter(condition).order_by()


def _numbers():
    return {
        "count": Count("id"),
        "average": Avg("score"),
        "satisfied": Count("id", filter=Q(score__gte=SATISFIED)),
    }


def _finish(row: dict) -> dict:
    count = row["count"]
    row["average"] = round(row["average"], 2) if row["average"] is not None else None
    row["satisfied_rate"] = round(row["satisfied"] / count, 4) if count else None
    return row


def _grouped(qs, key: str, name: str, fallback: str) -> list[dict]:
    rows = qs.values(key, name).annotate(**_numbers()).order_by(name, key)
    return [
        _finish(
            {
                "key": row[key],
                "name": row[name] or fallback,
                "count": row["count"],
                "average": row["average"],
                "satisfied": row["satisfied"],
            }
        )
        for row in rows
    ]


def csat_report(scope, f: ReportFilters, *, comments_limit: int = COMMENTS_LIMIT) -> dict:
    """Count, average, share satisfied and the 1–5 distribution, the same by queue, handler
    and catalog entry, and the latest comments. A fixed number of queries."""
    qs = scoped_ratings(scope, f)
    summary = _finish(dict(qs.aggregate(**_numbers())))
    distribution = {str(n): 0 for n in range(1, 6)}
    for score, count in qs.values_list("score").annotate(n=Count("id")).values_list("score", "n"):
        distribution[str(score)] = count
    summary["distribution"] = distribution
    handlers = qs.values("handler_id").annotate(**_numbers()).order_by("handler_id")
    names = {
        u.pk: u.name for u in _users([row["handler_id"] for row in handlers if row["handler_id"]])
    }
    by_handler = sorted(
        (
            _finish(
                {
                    "key": row["handler_id"],
                    "name": names.get(row["handler_id"], "—"),
                    "count": row["count"],
                    "average": row["average"],
                    "satisfied": row["satisfied"],
                }
            )
            for row in handlers
        ),
        key=lambda r: (r["name"], r["key"] or 0),
    )
    comments = [
        {
            "ticket": r.ticket_id,
            "number": r.ticket.number,
            "title": r.ticket.title,
            "score": r.score,
            "comment": r.comment,
            "rater": r.rater.name,
            "handler": r.handler.name if r.handler_id else "",
            "queue": r.queue.name if r.queue_id else "",
            "created_at": r.created_at,
        }
        for r in qs.exclude(comment="")
        .select_related("ticket", "rater", "handler", "queue")
        .order_by("-created_at", "-id")[:comments_limit]
    ]
    return {
        "summary": summary,
        "by_queue": _grouped(qs, "queue_id", "queue__name", "—"),
        "by_handler": by_handler,
        "by_catalog": _grouped(qs, "catalog_entry_id", "catalog_entry__name", "—"),
        "comments": comments,
    }


def _users(ids):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=ids) if ids else []
