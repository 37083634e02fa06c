"""Recording a ticket's activity-log event and reacting to it."""

from __future__ import annotations

from django.utils import timezone

from andon.knowledge import search as search_index
from andon.notifications.services import notify_for_event
from andon.ola import engine as ola_engine
from andon.reports import rollup as report_rollup
from andon.tickets.models import Ticket, TicketEvent


def record_event(
    *,
    ticket: Ticket,
    kind: str,
    actor,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    at=None,
) -> TicketEvent:
    """Append one activity-log event and notify about it, in the caller's transaction."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        before=before or {},
        after=after or {},
        note=note,
        created_at=at or timezone.now(),
    )
    notify_for_event(event=event, ticket=ticket)
    # OLA timers react to every event (start, pause, meet, stop) in the same transaction.
    ola_engine.on_ticket_event(ticket=ticket, event=event)
    search_index.on_ticket_event(ticket=ticket, event=event)  # resolved tickets are searchable
    report_rollup.on_ticket_event(ticket=ticket, event=event)  # the days this change moves
    return event
