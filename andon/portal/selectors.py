"""Reads for the requester portal."""

from __future__ import annotations

from django.db.models import QuerySet

from andon.accounts.permissions import has_perm
from andon.portal.models import PortalAccount
from andon.tickets.models import Ticket
from andon.tickets.selectors import with_list_relations


def is_portal_contact(user) -> bool:
    """An external contact signed in through a magic link (a role-less user made for them)."""
    if not getattr(user, "is_authenticated", False) or not user.pk:
        return False
    cached = getattr(user, "_is_portal_contact", None)
    if cached is None:
        cached = PortalAccount.objects.filter(user_id=user.pk).exists()
        user._is_portal_contact = cached
    return cached


def may_use_portal(user) -> bool:
    """Employees with a desk account that may file tickets, and portal contacts."""
    return bool(getattr(user, "is_active", False)) and (
        has_perm(user, "tickets.create") or is_portal_contact(user)
    )


def may_print_qr(user) -> bool:
    return has_perm(user, "catalog.manage")


def my_tickets(user) -> QuerySet[Ticket]:
    """Only the requester's own tickets — never the desk's wider view, even for staff."""
    return with_list_relations(Ticket.objects.restrict(user).filter(requester=user)).order_by("-id")


def public_comments(ticket: Ticket):
    """What the portal shows of a ticket's conversation: never internal comments, even to staff
    who filed it (the portal is the requester's view)."""
    return ticket.comments.filter(is_internal=False).select_related("author")
