"""Reads of tickets. `visible_tickets` is the one permission-scoped queryset every list, page and
endpoint starts from."""

from django.db.models import Prefetch, Q, QuerySet

from andon.accounts.permissions import has_perm
from andon.queues.selectors import member_queue_ids
from andon.tickets import policies
from andon.tickets.models import Comment, Ticket, TicketEvent, parse_number


def visible_tickets(user) -> QuerySet[Ticket]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Ticket.objects.none()
    qs = Ticket.objects.all()
    if has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage"):
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
        qs = qs.exclude(kind="commented", after__internal=True)
    return qs


def ticket_detail_queryset(user) -> QuerySet[Ticket]:
    return with_list_relations(visible_tickets(user)).prefetch_related(
        Prefetch("attachments")
    )
