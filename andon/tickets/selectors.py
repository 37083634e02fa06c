"""Reads of tickets. `visible_tickets` is the one permission-scoped queryset every list, page and
endpoint starts from; `policies.can_view` is the same rule for one loaded ticket."""

from django.db.models import Prefetch, Q, QuerySet

from andon.accounts.permissions import has_perm
from andon.queues.selectors import member_queue_ids
from andon.tickets import policies
from andon.tickets.models import (
    Attachment,
    Comment,
    EventKind,
    Ticket,
    TicketEvent,
    parse_number,
)


def _sees_everything(user) -> bool:
    return has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage")


def visible_tickets(user) -> QuerySet[Ticket]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Ticket.objects.none()
    qs = Ticket.objects.all()
    if _sees_everything(user):
        return qs
    scope = Q(requester=user) | Q(created_by=user) | Q(assignee=user)
    queue_ids = member_queue_ids(user)
    if queue_ids:
        scope |= Q(queue_id__in=queue_ids)
    return qs.filter(scope)


def with_list_relations(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related(
        "assignee", "requester", "queue", "catalog_entry", "catalog_entry__parent"
    )


def get_visible_ticket(user, ticket_id) -> Ticket | None:
    return with_list_relations(visible_tickets(user)).filter(pk=ticket_id).first()


def search_filter(text: str) -> Q:
    """Text query over number, title and description."""
    text = (text or "").strip()
    condition = Q(title__icontains=text) | Q(description__icontains=text)
    number = parse_number(text)
    if number is not None:
        condition |= Q(pk=number)
    return condition


def ticket_comments(user, ticket: Ticket) -> QuerySet[Comment]:
    qs = ticket.comments.select_related("author").prefetch_related("attachments")
    if not policies.is_staff_side(user, ticket):
        qs = qs.filter(is_internal=False)
    return qs


def ticket_events(user, ticket: Ticket) -> QuerySet[TicketEvent]:
    qs = ticket.events.select_related("actor")
    if not policies.is_staff_side(user, ticket):
        # Requesters see the log without internal comments' events.
        qs = qs.exclude(kind=EventKind.COMMENTED, after__internal=True)
    return qs


def ticket_attachments(user, ticket: Ticket) -> QuerySet[Attachment]:
    """Files of the ticket; those posted with an internal comment only for the staff side."""
    qs = ticket.attachments.select_related("uploaded_by")
    if not policies.is_staff_side(user, ticket):
        qs = qs.exclude(comment__is_internal=True)
    return qs


def _attachment_scope(user) -> Q:
    """`ticket_attachments` as a condition, for prefetching over many tickets at once."""
    if _sees_everything(user):
        return Q()
    scope = Q(comment__isnull=True) | Q(comment__is_internal=False) | Q(ticket__assignee=user)
    queue_ids = member_queue_ids(user)
    if queue_ids:
        scope |= Q(ticket__queue_id__in=queue_ids)
    return scope


def ticket_detail_queryset(user) -> QuerySet[Ticket]:
    return with_list_relations(visible_tickets(user)).prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.filter(_attachment_scope(user)))
    )
