"""Reads of tags: the tag list, the tags of listed tickets in one query, and counts by tag over
the tickets a person may see (the tag report)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from andon.tags.models import Tag, TicketTag
from andon.tickets.models import UNFINISHED_STATUSES
from andon.tickets.selectors import visible_tickets

SEARCH_MAX = 30


def all_tags(query: str = "") -> QuerySet[Tag]:
    """Tag names are not secret (they are labels chosen by the desk): everyone signed in may read
    the list, to pick from it."""
    qs = Tag.objects.order_by(Lower("name"), "id")
    query = (query or "").strip()[:SEARCH_MAX]
    if query:
        qs = qs.filter(name__icontains=query)
    return qs


def with_tags(qs: QuerySet) -> QuerySet:
    """Ticket rows with their tags prefetched: one extra query for the whole page."""
    links = TicketTag.objects.select_related("tag").order_by(Lower("tag__name"))
    return qs.prefetch_related(Prefetch("tag_links", queryset=links))


def ticket_tags(ticket) -> list[Tag]:
    """The ticket's tags, from the prefetch when there is one."""
    return [link.tag for link in ticket.tag_links.all()]


def tag_counts(user, *, tag_ids=None) -> list[dict]:
    """Per tag: how many of the tickets `user` may see carry it, and how many of those are still
    unfinished; most used first. Tags none of those tickets carry are left out."""
    links = TicketTag.objects.filter(ticket__in=visible_tickets(user).values("pk"))
    if tag_ids:
        links = links.filter(tag_id__in=tag_ids)
    rows = (
        links.values("tag_id", "tag__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(ticket__status__in=UNFINISHED_STATUSES)),
        )
        .order_by("-total", Lower("tag__name"))
    )
    return [
        {"id": r["tag_id"], "name": r["tag__name"], "total": r["total"], "open": r["open"]}
        for r in rows
    ]


def usage_counts() -> dict[int, int]:
    """How many tickets carry each tag, over all tickets: for the admins' rename and merge page,
    where a merge touches every ticket whoever may see it."""
    return dict(
        TicketTag.objects.values("tag_id").annotate(n=Count("id")).values_list("tag_id", "n")
    )


def ticket_tags_of(ticket) -> list[Tag]:
    """One ticket's tags, by name."""
    return list(Tag.objects.filter(ticket_links__ticket=ticket).order_by(Lower("name"), "id"))
