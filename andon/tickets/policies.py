"""Who may do what to a ticket. Pure functions over already-loaded objects; no queries beyond the
user's cached permission codes and queue ids. Services call these; pages and endpoints use them
to decide which actions to show."""

from andon.accounts.permissions import has_perm
from andon.queues.selectors import member_queue_ids
from andon.tickets.models import OPEN_STATUSES, Status, Ticket


def is_requester(user, ticket: Ticket) -> bool:
    return user.pk in (ticket.requester_id, ticket.created_by_id)


def is_assignee(user, ticket: Ticket) -> bool:
    return ticket.assignee_id is not None and ticket.assignee_id == user.pk


def is_queue_member(user, ticket: Ticket) -> bool:
    return ticket.queue_id is not None and ticket.queue_id in member_queue_ids(user)


def is_manager(user) -> bool:
    return has_perm(user, "tickets.manage")


def is_staff_side(user, ticket: Ticket) -> bool:
    """Handling side of the desk: sees internal comments and may write them."""
    return (
        is_assignee(user, ticket)
        or is_queue_member(user, ticket)
        or is_manager(user)
        or has_perm(user, "tickets.view_all")
        or has_perm(user, "tickets.handle")
    )


def can_view(user, ticket: Ticket) -> bool:
    return (
        has_perm(user, "tickets.view_all")
        or is_manager(user)
        or is_requester(user, ticket)
        or is_assignee(user, ticket)
        or is_queue_member(user, ticket)
    )


def can_claim(user, ticket: Ticket) -> bool:
    """Members of the ticket's queue take work from it; managers may take anything."""
    return is_queue_member(user, ticket) or is_manager(user)


def can_work(user, ticket: Ticket) -> bool:
    """Assignee-side actions: transfer, need-info, resolve."""
    return is_assignee(user, ticket) or is_manager(user)


def can_urge(user, ticket: Ticket) -> bool:
    return can_view(user, ticket) and not is_assignee(user, ticket)


def can_comment(user, ticket: Ticket) -> bool:
    return can_view(user, ticket)


def can_resume(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or can_work(user, ticket)


def can_confirm(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or is_manager(user)


def can_reopen(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or can_work(user, ticket)


def can_close(user, ticket: Ticket) -> bool:
    if is_manager(user):
        return True
    return ticket.status == Status.DONE and (
        is_requester(user, ticket) or is_assignee(user, ticket)
    )


def can_cancel(user, ticket: Ticket) -> bool:
    return is_requester(user, ticket) or is_manager(user)


def can_edit(user, ticket: Ticket) -> bool:
    if can_work(user, ticket):
        return True
    return is_requester(user, ticket) and ticket.status in OPEN_STATUSES
