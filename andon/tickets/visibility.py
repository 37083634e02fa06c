"""Who may read which tickets: the one rule. `Ticket.objects.restrict(user)` applies it to a
queryset (DESIGN.md §4: the only way to read tickets for a person), `selectors.visible_tickets`
starts every list, page and endpoint from it, and `policies.can_view` is the same rule for one
loaded ticket. A module of its own because the model's queryset and the selectors both use it
(the selectors import the models)."""

from __future__ import annotations

from django.db.models import Q

from andon.accounts.permissions import has_perm
from andon.queues.selectors import member_queue_ids

EVERYTHING = Q()
NOTHING = Q(pk__in=[])


def sees_everything(user) -> bool:
    return has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage")


def ticket_scope(user) -> Q:
    """The tickets this person may read, as a condition: EVERYTHING, NOTHING (signed out or
    deactivated) or their own, assigned and queues' tickets."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if sees_everything(user):
        return EVERYTHING
    scope = Q(requester=user) | Q(created_by=user) | Q(assignee=user)
    queue_ids = member_queue_ids(user)
    if queue_ids:
        scope |= Q(queue_id__in=queue_ids)
    return scope
