"""Tickets as work a person owns: what accounts' deactivation hands over (the `andon.accounts.work`
port, registered from TicketsConfig.ready())."""

from __future__ import annotations

from andon.tickets.models import UNFINISHED_STATUSES, Ticket
from andon.tickets.services import reassign_ticket


def unfinished_ticket_count(user) -> int:
    return Ticket.objects.filter(assignee=user, status__in=UNFINISHED_STATUSES).count()


def hand_over_tickets(*, actor, user, successor, note: str) -> int:
    """Each unfinished ticket goes to `successor` as it is (one event per ticket)."""
    ticket_ids = list(
        Ticket.objects.filter(assignee=user, status__in=UNFINISHED_STATUSES)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for ticket_id in ticket_ids:
        reassign_ticket(ticket_id=ticket_id, actor=actor, to_user=successor, note=note)
    return len(ticket_ids)
