"""Writing a ticket's full-text row (`TicketDocument`).

`on_ticket_event` is an after-commit subscriber of the ticket event pipeline
(`andon.tickets.events`): it runs in the worker, at least once, and writes what the ticket says
now, so a repeat or a late run is harmless. `reindex` rebuilds rows in batches (the
`reindex_tickets` command, the benchmark, an upgrade of an existing desk)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from andon.fields.models import FieldDefinition, FieldType
from andon.knowledge.text import index_text
from andon.tickets.models import Comment, EventKind, Ticket
from andon.ticketsearch.models import TicketDocument

TEXT_FIELD_TYPES = (FieldType.TEXT, FieldType.TEXTAREA)
# Events that never change the text a ticket holds; every other kind (including kinds other
# apps add later) rebuilds the row.
TEXT_NEUTRAL_KINDS = frozenset(
    {
        EventKind.CLAIMED,
        EventKind.URGED,
        EventKind.DISPATCHED,
        EventKind.UNDISPATCHED,
        EventKind.ATTACHED,
        EventKind.TRANSFERRED,
        EventKind.OLA_WARNING,
        EventKind.OLA_BREACHED,
        EventKind.OLA_ESCALATED,
    }
)


def indexed_event_kinds() -> frozenset[str]:
    return frozenset(EventKind.values) - TEXT_NEUTRAL_KINDS


def _text_field_keys() -> set[str]:
    return set(
        FieldDefinition.objects.filter(type__in=TEXT_FIELD_TYPES).values_list("key", flat=True)
    )


def _document(ticket: Ticket, comments: Iterable[Comment], text_keys: set[str]) -> TicketDocument:
    public, internal = [ticket.description or "", ticket.resolution or ""], []
    for key, value in (ticket.custom_fields or {}).items():
        if key in text_keys and isinstance(value, str):
            public.append(value)
    for comment in comments:
        (internal if comment.is_internal else public).append(comment.body or "")
    return TicketDocument(
        ticket_id=ticket.pk,
        title_terms=index_text(ticket.title),
        public_terms=index_text("\n".join(public)),
        internal_terms=index_text("\n".join(internal)),
        indexed_at=timezone.now(),
    )


def index_ticket(ticket: Ticket) -> None:
    comments = ticket.comments.only("body", "is_internal").order_by("id")
    doc = _document(ticket, comments, _text_field_keys())
    TicketDocument.objects.update_or_create(
        ticket_id=ticket.pk,
        defaults={
            "title_terms": doc.title_terms,
            "public_terms": doc.public_terms,
            "internal_terms": doc.internal_terms,
            "indexed_at": doc.indexed_at,
        },
    )


def on_ticket_event(*, ticket: Ticket, event) -> None:
    index_ticket(ticket)


def reindex(*, ticket_ids: Iterable[int] | None = None, batch: int = 500) -> int:
    """Rebuild the rows of the given tickets (all when None), `batch` tickets per transaction;
    returns how many were written."""
    text_keys = _text_field_keys()
    qs = Ticket.objects.order_by("id").only(
        "id", "title", "description", "resolution", "custom_fields"
    )
    if ticket_ids is not None:
        qs = qs.filter(pk__in=list(ticket_ids))
    written, last = 0, 0
    while True:
        tickets = list(qs.filter(pk__gt=last)[:batch])
        if not tickets:
            return written
        by_ticket: dict[int, list[Comment]] = defaultdict(list)
        for comment in Comment.objects.filter(ticket_id__in=[t.pk for t in tickets]).only(
            "ticket_id", "body", "is_internal"
        ):
            by_ticket[comment.ticket_id].append(comment)
        docs = [_document(t, by_ticket[t.pk], text_keys) for t in tickets]
        with transaction.atomic():
            # Delete then insert: the SQLite triggers keep the FTS table in step either way.
            TicketDocument.objects.filter(ticket_id__in=[d.ticket_id for d in docs]).delete()
            TicketDocument.objects.bulk_create(docs)
        written += len(docs)
        last = tickets[-1].pk
