"""Reads of saved views: the views a person may open (their own and the shared ones), one of
them by id (not found when neither), and a person's default."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from andon.core.errors import NotFound
from andon.savedviews.models import DefaultView, SavedView


def visible_views(user) -> QuerySet[SavedView]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SavedView.objects.none()
    return SavedView.objects.filter(Q(owner_id=user.pk) | Q(shared=True)).select_related("owner")


def get_visible_view(user, view_id) -> SavedView:
    try:
        pk = int(view_id)
    except (TypeError, ValueError):
        pk = None
    view = visible_views(user).filter(pk=pk).first() if pk and 0 < pk < 2**63 else None
    if view is None:
        raise NotFound(_("视图不存在或无权查看"))
    return view


def default_view_id(user) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    row = DefaultView.objects.filter(user_id=user.pk).values_list("view_id", flat=True).first()
    if row is None:
        return None
    # A shared view the owner stopped sharing is no longer this person's default.
    return row if visible_views(user).filter(pk=row).exists() else None
