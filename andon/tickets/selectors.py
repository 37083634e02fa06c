"""Reads of tickets. `visible_tickets` is the one permission-scoped queryset every list, page and
endpoint starts from; `policies.can_view` is the same rule for one loaded ticket."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.catalog.models import CatalogEntry
from andon.core.errors import NotFound
from andon.queues.models import Queue, QueueMembership
from andon.queues.selectors import member_queue_ids
from andon.tickets import policies, visibility
from andon.tickets.models import (
    UNFINISHED_STATUSES,
    Attachment,
    CarbonCopy,
    Collaborator,
    Comment,
    EventKind,
    Ticket,
    TicketEvent,
    parse_number,
)


def unfinished_tickets() -> QuerySet[Ticket]:
    """Every ticket still someone's work (registered as a port of andon.queues, queues.ports)."""
    return Ticket.objects.filter(status__in=UNFINISHED_STATUSES)


def _sees_everything(user) -> bool:
    return has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage")


def visible_tickets(user) -> QuerySet[Ticket]:
    """Every ticket `user` may read: `Ticket.objects.restrict(user)` (the rule is below)."""
    return Ticket.objects.restrict(user)


def visibility_condition(user) -> Q | None:
    """Who reads which tickets, as a condition on tickets: None for nobody (signed out or
    deactivated), Q() for everything (view_all, manage), else their own, their queues', what
    they were pulled into or copied on, and what an app above widens (`tickets.visibility`).
    `policies.can_view` is the same rule for one loaded ticket."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if _sees_everything(user):
        return Q()
    scope = Q(requester=user) | Q(created_by=user) | Q(assignee=user)
    queue_ids = member_queue_ids(user)
    if queue_ids:
        scope |= Q(queue_id__in=queue_ids)
    extra = visibility.extra_scope(user)
    if extra is not None:
        scope |= extra
    return scope | _pulled_in(user, queue_ids)


def _pulled_in(user, queue_ids) -> Q:
    """Tickets the person was pulled into (卷入, by name or through a queue) or copied on (抄送);
    subqueries, not joins, so that a ticket appears once however many ways it is reached."""
    collaborations = Q(user=user)
    if queue_ids:
        collaborations |= Q(queue_id__in=queue_ids)
    return Q(pk__in=Collaborator.objects.filter(collaborations).values("ticket_id")) | Q(
        pk__in=CarbonCopy.objects.filter(user=user).values("ticket_id")
    )


def with_list_relations(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related(
        "assignee", "requester", "queue", "catalog_entry", "catalog_entry__parent"
    )


def ticket_pk(ref) -> int | None:
    """A ticket id from a URL or a request: 1042, "1042" or "AD-1042"; None when it is none."""
    if isinstance(ref, bool) or ref is None:
        return None
    return parse_number(str(ref))


def get_visible_ticket(user, ref, *, within: QuerySet | None = None, for_update=False) -> Ticket:
    """The one "visible or not found" read: the ticket `ref` names if `user` may see it, else
    `NotFound` — the same answer for a missing ticket and a hidden one, so nothing leaks. Pages
    and the API turn it into 404.

    `within` narrows the scope (the portal shows only the requester's own tickets, the API's
    detail prefetches its files); it must start from `visible_tickets(user)` or be narrower.
    `for_update` locks the row for the caller's transaction (services): the lock is taken by a
    bare query and the ticket read by a second one. On PostgreSQL a query that waited for the
    lock returns the locked row's new version, but rows it joined keep the old snapshot: after
    losing a claim race, a joined `assignee` would read as NULL though `assignee_id` is set. The
    second query starts after the lock is ours and sees everything the previous holder
    committed. NO KEY UPDATE does not block inserts that merely reference the ticket (events,
    timers) from other transactions."""
    pk = ticket_pk(ref)
    ticket = None
    if pk is not None and for_update:
        if Ticket.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk").first():
            ticket = Ticket.objects.select_related("queue", "assignee", "requester").get(pk=pk)
            if not policies.can_view(user, ticket):
                ticket = None
    elif pk is not None:
        scope = with_list_relations(visible_tickets(user)) if within is None else within
        ticket = scope.select_related("created_by").filter(pk=pk).first()
    if ticket is None:
        raise NotFound(_("工单不存在或无权查看"))
    return ticket


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
    collaborations = Q(user=user)
    if queue_ids:
        collaborations |= Q(queue_id__in=queue_ids)
    return scope | Q(ticket_id__in=Collaborator.objects.filter(collaborations).values("ticket_id"))


def ticket_detail_queryset(user) -> QuerySet[Ticket]:
    return with_list_relations(visible_tickets(user)).prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.filter(_attachment_scope(user)))
    )


# --- reads of the ticket pages ------------------------------------------------------------------


def tab_tickets(user, tab: str) -> QuerySet[Ticket]:
    """The list page's tabs: assigned to me, my queues' pool, filed by me, everything visible."""
    qs = visible_tickets(user)
    if tab == "assigned":
        return qs.filter(assignee=user)
    if tab == "pool":
        return qs.filter(assignee__isnull=True, queue_id__in=member_queue_ids(user))
    if tab == "created":
        return qs.filter(Q(requester=user) | Q(created_by=user))
    return qs


def list_filter_choices() -> tuple[list, list]:
    """Queues (enabled first) and catalog entries (each parent before its children) to filter by."""
    queues = list(Queue.objects.order_by("-is_enabled", "id").only("id", "name", "is_enabled"))
    entries = list(
        CatalogEntry.objects.select_related("parent").order_by("parent_id", "order", "id")
    )
    entries.sort(key=lambda e: (e.parent_id or e.pk, e.parent_id is not None, e.order, e.pk))
    return queues, entries


def transfer_choices() -> list[tuple]:
    """Enabled queues with their active members, for the transfer form."""
    queues = list(Queue.objects.filter(is_enabled=True).order_by("id").only("id", "name"))
    memberships = (
        QueueMembership.objects.filter(queue__is_enabled=True, user__is_active=True)
        .select_related("user")
        .order_by("queue_id", "id")
    )
    people: dict[int, list] = {}
    for membership in memberships:
        people.setdefault(membership.queue_id, []).append(membership.user)
    return [(queue, people.get(queue.pk, [])) for queue in queues]


# --- people around a ticket ---------------------------------------------------------------------


def ticket_collaborators(ticket: Ticket) -> QuerySet[Collaborator]:
    return ticket.collaborators.select_related("user", "queue", "added_by")


def ticket_watchers(ticket: Ticket) -> QuerySet:
    return ticket.watchers.select_related("user")


def ticket_carbon_copies(ticket: Ticket) -> QuerySet[CarbonCopy]:
    return ticket.carbon_copies.select_related("user", "added_by")


def watch_state(user, ticket: Ticket) -> tuple[bool, int]:
    """Whether `user` watches the ticket, and how many people do: one query."""
    row = ticket.watchers.aggregate(
        watchers=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk))
    )
    return row["mine"] > 0, row["watchers"]


# --- links between tickets ----------------------------------------------------------------------

# How a link reads from each end: (kind, this ticket is the source) -> relation.
_RELATION_FROM = {
    ("parent", True): "parent",
    ("parent", False): "child",
    ("related", True): "related",
    ("related", False): "related",
    ("duplicate", True): "duplicate_of",
    ("duplicate", False): "duplicated_by",
}
RELATION_ORDER = ("parent", "child", "duplicate_of", "duplicated_by", "related")


def ticket_links(user, ticket: Ticket) -> list[dict]:
    """The ticket's links as this person reads them: each with its relation from this ticket's
    side and the other ticket, whose title and status show only when `user` may see it. Two
    queries whatever the number of links."""
    from andon.tickets.link_models import TicketLink

    links = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).select_related(
            "source", "target"
        )
    )
    others = [link.target if link.source_id == ticket.pk else link.source for link in links]
    visible = (
        set(
            visible_tickets(user).filter(pk__in=[t.pk for t in others]).values_list("pk", flat=True)
        )
        if others
        else set()
    )
    rows = []
    for link, other in zip(links, others, strict=True):
        relation = _RELATION_FROM[(link.kind, link.source_id == ticket.pk)]
        rows.append(
            {
                "id": link.pk,
                "relation": relation,
                "ticket": other,
                "visible": other.pk in visible,
                "created_at": link.created_at,
            }
        )
    rows.sort(key=lambda r: (RELATION_ORDER.index(r["relation"]), r["ticket"].pk))
    return rows


def children_states(rows: list[dict]) -> dict:
    """How the children of a parent stand: total, finished and a count per status."""
    children = [r["ticket"] for r in rows if r["relation"] == "child"]
    counts: dict[str, int] = {}
    for child in children:
        counts[child.status] = counts.get(child.status, 0) + 1
    finished = sum(n for status, n in counts.items() if status in ("done", "closed", "cancelled"))
    return {"total": len(children), "finished": finished, "by_status": counts}
