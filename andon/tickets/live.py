"""The live ticket page's version: the newest activity-log event this person may see.

Every change to a ticket records an event (`events.record_event`), so the newest event id is a
version that moves with every change and costs one indexed aggregate. Internal comments do not
move a requester's version: they could not see what changed."""

from __future__ import annotations

from django.db.models import Max, Q

from andon.tickets import policies
from andon.tickets.models import EventKind, Ticket, TicketEvent


def _visible_events(user, ticket: Ticket):
    qs = TicketEvent.objects.filter(ticket_id=ticket.pk)
    if not policies.is_staff_side(user, ticket):
        qs = qs.exclude(Q(kind=EventKind.COMMENTED) & Q(after__internal=True))
    return qs


def ticket_version(user, ticket: Ticket) -> int:
    return _visible_events(user, ticket).aggregate(v=Max("id"))["v"] or 0


def changed_by_others(user, ticket: Ticket, since: int) -> bool:
    """Whether someone else (or the system: OLA, the worker) made a change after `since`."""
    return _visible_events(user, ticket).filter(id__gt=since).exclude(actor_id=user.pk).exists()
