"""The web face of ticket search: highlights for the rows of the ticket list."""

from __future__ import annotations

from andon.ticketsearch.search import highlights


def attach_search_hits(user, tickets: list, text: str) -> None:
    """Give each listed ticket `search_hit` (escaped, marked title and snippet) when the list is
    filtered by words; None otherwise."""
    hits = highlights(user, tickets, text) if text.strip() else {}
    for ticket in tickets:
        ticket.search_hit = hits.get(ticket.pk)
