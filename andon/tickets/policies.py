"""Who may do what to a ticket. Functions over already-loaded objects; no queries beyond the
user's cached permission codes and queue ids, and one read of the people around a ticket
(`people_of`), cached on it. Services call these; pages and endpoints use them
to decide which actions to show.

Three circles of people around a ticket:
- the *handling side*: its assignee, the members of its queue, and managers (`tickets.manage`);
  they work the ticket and may write internal comments;
- the *staff side*: the handling side plus read-only observers (`tickets.view_all`); they also
  read internal comments;
- *participants*: the handling side plus the requester (and whoever filed it for them) and the
  people copied on the requester's side (抄送); they may comment and urge. An observer who is
  none of these only reads.

Collaborators (卷入: people, or every member of a queue, the handler pulled in) are on the
handling side: they read and write internal comments, but the assignee stays the owner. Who is
around a ticket is read once per loaded ticket (`people_of`) and kept on it.
"""

from dataclasses import dataclass

from django.db.models import CharField, IntegerField, Value

from andon.accounts.permissions import has_perm
from andon.queues.selectors import member_queue_ids
from andon.tickets import visibility
from andon.tickets.models import (
    OPEN_STATUSES,
    CarbonCopy,
    Collaborator,
    Status,
    Ticket,
    Watcher,
)


@dataclass(frozen=True)
class People:
    collaborator_user_ids: frozenset
    collaborator_queue_ids: frozenset
    cc_user_ids: frozenset
    watcher_ids: frozenset
    cc_emails: tuple  # ((copy id, address), ...) of copies without an account


NOBODY = People(frozenset(), frozenset(), frozenset(), frozenset(), ())
_PEOPLE_CACHE = "_policy_people"


def people_of(ticket: Ticket) -> People:
    """Who is around the ticket besides its requester, assignee and queue: collaborators,
    copied people and watchers, read in one query and cached on the instance (none for a ticket
    just filed, which nobody has been added to yet)."""
    cached = getattr(ticket, _PEOPLE_CACHE, None)
    if cached is not None:
        return cached
    if ticket.pk is None:
        return NOBODY
    no_id = Value(None, output_field=IntegerField())
    no_text = Value("", output_field=CharField())
    rows = (
        Collaborator.objects.filter(ticket_id=ticket.pk)
        .annotate(k=Value("c", output_field=CharField()), e=no_text)
        .values_list("k", "user_id", "queue_id", "e")
        .order_by()
        .union(
            CarbonCopy.objects.filter(ticket_id=ticket.pk)
            .annotate(k=Value("cc", output_field=CharField()))
            .values_list("k", "user_id", "id", "email")
            .order_by(),
            Watcher.objects.filter(ticket_id=ticket.pk)
            .annotate(k=Value("w", output_field=CharField()), q=no_id, e=no_text)
            .values_list("k", "user_id", "q", "e")
            .order_by(),
            all=True,
        )
    )
    users, queues, ccs, watchers, emails = set(), set(), set(), set(), []
    for kind, user_id, other_id, email in rows:
        if kind == "c":
            (users.add(user_id) if user_id else queues.add(other_id))
        elif kind == "cc":
            (ccs.add(user_id) if user_id else emails.append((other_id, email)))
        else:
            watchers.add(user_id)
    people = People(
        frozenset(users), frozenset(queues), frozenset(ccs), frozenset(watchers), tuple(emails)
    )
    setattr(ticket, _PEOPLE_CACHE, people)
    return people


def know_nobody_is_around(ticket: Ticket) -> None:
    """A ticket just filed: nobody was added to it yet (spares the read)."""
    setattr(ticket, _PEOPLE_CACHE, NOBODY)


def forget_people(ticket: Ticket) -> None:
    """After a change of collaborators or copies: the next check reads them again."""
    if hasattr(ticket, _PEOPLE_CACHE):
        delattr(ticket, _PEOPLE_CACHE)


def is_collaborator(user, ticket: Ticket) -> bool:
    if user.pk is None:
        return False
    people = people_of(ticket)
    if user.pk in people.collaborator_user_ids:
        return True
    return bool(
        people.collaborator_queue_ids and people.collaborator_queue_ids & member_queue_ids(user)
    )


def is_personal_collaborator(user, ticket: Ticket) -> bool:
    """Pulled in by name (not through a queue): the one who may leave."""
    return user.pk is not None and user.pk in people_of(ticket).collaborator_user_ids


def is_cc(user, ticket: Ticket) -> bool:
    return user.pk is not None and user.pk in people_of(ticket).cc_user_ids


def is_requester(user, ticket: Ticket) -> bool:
    return user.pk is not None and user.pk in (ticket.requester_id, ticket.created_by_id)


def is_assignee(user, ticket: Ticket) -> bool:
    return ticket.assignee_id is not None and ticket.assignee_id == user.pk


def is_queue_member(user, ticket: Ticket) -> bool:
    return ticket.queue_id is not None and ticket.queue_id in member_queue_ids(user)


def is_manager(user) -> bool:
    return has_perm(user, "tickets.manage")


def is_handling_side(user, ticket: Ticket) -> bool:
    """Works the ticket: writes internal comments, and a public comment counts as a response."""
    return (
        is_assignee(user, ticket)
        or is_queue_member(user, ticket)
        or is_manager(user)
        or is_collaborator(user, ticket)
    )


def is_staff_side(user, ticket: Ticket) -> bool:
    """Reads internal comments. Holding `tickets.handle` alone is not enough: a handler who files
    a ticket to another team is that ticket's requester, not its staff."""
    return is_handling_side(user, ticket) or has_perm(user, "tickets.view_all")


def is_participant(user, ticket: Ticket) -> bool:
    return is_handling_side(user, ticket) or is_requester(user, ticket) or is_cc(user, ticket)


def can_view(user, ticket: Ticket) -> bool:
    if not getattr(user, "is_active", False):
        return False
    return (
        has_perm(user, "tickets.view_all")
        or is_manager(user)
        or is_requester(user, ticket)
        or is_assignee(user, ticket)
        or is_queue_member(user, ticket)
        or is_collaborator(user, ticket)
        or is_cc(user, ticket)
        # Last, as it is the one check here that may query (see andon.tickets.visibility).
        or visibility.allows(user, ticket)
    )


def can_claim(user, ticket: Ticket) -> bool:
    """Members of the ticket's queue take work from it; managers may take anything; a person a
    ticket was transferred to accepts it by claiming."""
    return is_queue_member(user, ticket) or is_manager(user) or is_assignee(user, ticket)


def can_take_over(user, ticket: Ticket) -> bool:
    """认领 from a current handler: the queue's members, a collaborator who holds the handling
    permission, and managers (the workflow's guard adds: someone else holds it now)."""
    return (
        is_queue_member(user, ticket)
        or is_manager(user)
        or (is_collaborator(user, ticket) and has_perm(user, "tickets.handle"))
    )


def can_manage_collaborators(user, ticket: Ticket) -> bool:
    """The handler pulls people in and lets them go; managers may too."""
    return can_work(user, ticket)


def can_manage_cc(user, ticket: Ticket) -> bool:
    """The requester copies their colleagues; the handler and managers may too."""
    return is_requester(user, ticket) or can_work(user, ticket)


def can_work(user, ticket: Ticket) -> bool:
    """Assignee-side actions: transfer, need-info, resolve."""
    return is_assignee(user, ticket) or is_manager(user)


def can_urge(user, ticket: Ticket) -> bool:
    return is_participant(user, ticket) and not is_assignee(user, ticket)


def can_comment(user, ticket: Ticket) -> bool:
    return is_participant(user, ticket)


def can_comment_internally(user, ticket: Ticket) -> bool:
    return is_handling_side(user, ticket)


def can_resume(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or can_work(user, ticket)


def can_confirm(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or is_manager(user)


def can_reopen(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or can_work(user, ticket)


def may_close(user, ticket: Ticket) -> bool:
    """Whether closing is ever this user's call; `can_close` adds the status rule."""
    return is_manager(user) or is_requester(user, ticket) or is_assignee(user, ticket)


def can_close(user, ticket: Ticket) -> bool:
    if is_manager(user):
        return ticket.status not in (Status.CLOSED, Status.CANCELLED)
    return ticket.status == Status.DONE and may_close(user, ticket)


def can_cancel(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or is_manager(user)


def may_edit(user, ticket: Ticket) -> bool:
    """Whether editing is ever this user's call; `can_edit` adds the status rule."""
    return can_work(user, ticket) or is_requester(user, ticket)


def editable_statuses(user, ticket: Ticket) -> tuple[str, ...]:
    if can_work(user, ticket):
        return (*OPEN_STATUSES, Status.TO_CONFIRM)
    return OPEN_STATUSES


def can_edit(user, ticket: Ticket) -> bool:
    return may_edit(user, ticket) and ticket.status in editable_statuses(user, ticket)
