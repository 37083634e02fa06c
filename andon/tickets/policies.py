"""Who may do what to a ticket. Pure functions over already-loaded objects; no queries beyond the
user's cached permission codes and queue ids. Services call these; pages and endpoints use them
to decide which actions to show.

Three circles of people around a ticket:
- the *handling side*: its assignee, the members of its queue, and managers (`tickets.manage`);
  they work the ticket and may write internal comments;
- the *staff side*: the handling side plus read-only observers (`tickets.view_all`); they also
  read internal comments;
- *participants*: the handling side plus the requester (and whoever filed it for them); they
  may comment and urge. An observer who is none of these only reads.
"""

from andon.accounts.permissions import has_perm
from andon.queues.selectors import member_queue_ids
from andon.tickets import visibility
from andon.tickets.models import OPEN_STATUSES, Status, Ticket


def is_requester(user, ticket: Ticket) -> bool:
    return user.pk is not None and user.pk in (ticket.requester_id, ticket.created_by_id)


def is_assignee(user, ticket: Ticket) -> bool:
    return ticket.assignee_id is not None and ticket.assignee_id == user.pk


def is_queue_member(user, ticket: Ticket) -> bool:
    return ticket.queue_id is not None and ticket.queue_id in member_queue_ids(user)


def is_manager(user) -> bool:
    return has_perm(user, "tickets.manage")


def is_handling_side(user, ticket: Ticket) -> bool:
    """Works the ticket: may claim, write internal comments, and counts as a response."""
    return is_assignee(user, ticket) or is_queue_member(user, ticket) or is_manager(user)


def is_staff_side(user, ticket: Ticket) -> bool:
    """Reads internal comments. Holding `tickets.handle` alone is not enough: a handler who files
    a ticket to another team is that ticket's requester, not its staff."""
    return is_handling_side(user, ticket) or has_perm(user, "tickets.view_all")


def is_participant(user, ticket: Ticket) -> bool:
    return is_handling_side(user, ticket) or is_requester(user, ticket)


def can_view(user, ticket: Ticket) -> bool:
    if not getattr(user, "is_active", False):
        return False
    return (
        has_perm(user, "tickets.view_all")
        or is_manager(user)
        or is_requester(user, ticket)
        or is_assignee(user, ticket)
        or is_queue_member(user, ticket)
        # Last, as it is the one check here that may query (see andon.tickets.visibility).
        or visibility.allows(user, ticket)
    )


def can_claim(user, ticket: Ticket) -> bool:
    """Members of the ticket's queue take work from it; managers may take anything; a person a
    ticket was transferred to accepts it by claiming."""
    return is_queue_member(user, ticket) or is_manager(user) or is_assignee(user, ticket)


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
