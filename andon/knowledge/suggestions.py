"""Smart support (智能支持): what to show beside a ticket and while filing one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from andon.catalog.models import CatalogEntry
from andon.knowledge import search
from andon.tickets.models import Ticket

QUERY_CHARS = 400


@dataclass
class TicketSuggestions:
    tickets: list[search.Hit] = field(default_factory=list)
    articles: list[search.Hit] = field(default_factory=list)


@dataclass
class CatalogSuggestion:
    entry: CatalogEntry
    confidence: float  # this entry's share of the weighted votes (0..1)
    similar_count: int  # how many of the similar resolved tickets were filed under it


def ticket_query(ticket: Ticket) -> str:
    return f"{ticket.title}\n{ticket.description}"[:QUERY_CHARS]


def for_ticket(user, ticket: Ticket, *, limit: int = 5) -> TicketSuggestions:
    """Similar resolved tickets (with their resolution) and relevant articles for a ticket."""
    query = ticket_query(ticket)
    return TicketSuggestions(
        tickets=search.search_tickets(user, query, limit=limit, exclude_ticket_id=ticket.pk),
        articles=search.search_articles(user, query, limit=limit),
    )


def suggest_catalog_entries(text: str, *, limit: int = 3, neighbours: int = 20):
    """Catalog entries of the most similar resolved tickets, each ticket's vote weighted by its
    score and its rank (the nearest neighbours count most). Retired entries are skipped."""
    similar = search.similar_resolved_ticket_ids((text or "")[:QUERY_CHARS], limit=neighbours)
    if not similar:
        return []
    entry_of = dict(
        Ticket.objects.filter(pk__in=[pk for pk, _ in similar]).values_list("pk", "catalog_entry")
    )
    weights: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for rank, (pk, score) in enumerate(similar):
        entry_id = entry_of.get(pk)
        if entry_id is None:
            continue
        weights[entry_id] += max(score, 1e-6) / (rank + 1)
        counts[entry_id] += 1
    entries = CatalogEntry.objects.select_related("parent", "queue").in_bulk(list(weights))
    total = sum(weights.values()) or 1.0
    ranked = sorted(weights.items(), key=lambda item: item[1], reverse=True)
    suggestions = []
    for entry_id, weight in ranked:
        entry = entries.get(entry_id)
        if entry is None or entry.is_retired or entry.parent_id is None:
            continue
        suggestions.append(
            CatalogSuggestion(
                entry=entry, confidence=weight / total, similar_count=counts[entry_id]
            )
        )
        if len(suggestions) >= limit:
            break
    return suggestions
