"""Reads of canned replies: one's own and those shared with one's queues (ticket and queue
managers see every shared one, as they manage them)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import NotFound
from andon.core.validation import parse_id
from andon.macros.models import Macro
from andon.queues.selectors import member_queue_ids

SEARCH_MAX = 60


def manages_shared(user) -> bool:
    return has_perm(user, "queues.manage") or has_perm(user, "tickets.manage")


def visible_macros(user) -> QuerySet[Macro]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Macro.objects.none()
    scope = Q(owner=user)
    if manages_shared(user):
        scope |= Q(queue__isnull=False)
    else:
        queue_ids = member_queue_ids(user)
        if queue_ids:
            scope |= Q(queue_id__in=queue_ids)
    return Macro.objects.filter(scope).select_related("queue", "owner")


def search(user, query: str = "") -> QuerySet[Macro]:
    qs = visible_macros(user)
    query = (query or "").strip()[:SEARCH_MAX]
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(body__icontains=query))
    # One's own first, then shared ones, each by name.
    return qs.order_by("queue_id", "name", "id")


def get_visible_macro(user, macro_id) -> Macro:
    pk = parse_id(macro_id)
    macro = visible_macros(user).filter(pk=pk).first() if pk else None
    if macro is None:
        raise NotFound(_("快捷回复不存在"))
    return macro
