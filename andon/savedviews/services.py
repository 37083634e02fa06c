"""Writes of saved views. The values arrive cleaned by `andon.savedviews.forms` (the web form
and the API serializer both use it); here go the rules about who may do what.

Anyone signed in keeps personal views. Sharing a view takes `tickets.handle` or
`tickets.manage`; a shared view is edited or deleted by its owner or a `tickets.manage` holder.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import Conflict, PermissionDenied
from andon.savedviews.models import DefaultView, SavedView
from andon.savedviews.selectors import get_visible_view

EDITABLE = ("name", "shared", "tab", "filters", "columns", "sort")


def can_share(user) -> bool:
    return has_perm(user, "tickets.handle") or has_perm(user, "tickets.manage")


def can_edit(user, view: SavedView) -> bool:
    return view.owner_id == user.pk or (view.shared and has_perm(user, "tickets.manage"))


def _save(view: SavedView) -> SavedView:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        message = _("你已有同名视图“%(name)s”，请换个名称") % {"name": view.name}
        raise Conflict(message, errors={"name": [message]}) from None
    return view


def create_view(
    *,
    actor,
    name: str,
    tab: str,
    filters: dict,
    columns: list[str],
    sort: str,
    shared: bool = False,
    make_default: bool = False,
) -> SavedView:
    if shared and not can_share(actor):
        raise PermissionDenied(_("只有处理人可以共享视图"))
    now = timezone.now()
    with transaction.atomic():
        view = _save(
            SavedView(
                owner=actor,
                name=name,
                shared=shared,
                tab=tab,
                filters=filters,
                columns=columns,
                sort=sort,
                created_at=now,
                updated_at=now,
            )
        )
        if make_default:
            set_default_view(actor=actor, view_id=view.pk)
    return view


def update_view(*, actor, view_id: int, **changes) -> SavedView:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        view = get_visible_view(actor, view_id)
        view = SavedView.objects.select_for_update().get(pk=view.pk)
        if not can_edit(actor, view):
            raise PermissionDenied(_("只有视图的创建人可以修改它"))
        if changes.get("shared") and not view.shared and not can_share(actor):
            raise PermissionDenied(_("只有处理人可以共享视图"))
        for name, value in changes.items():
            setattr(view, name, value)
        view.updated_at = timezone.now()
        return _save(view)


def delete_view(*, actor, view_id: int) -> None:
    with transaction.atomic():
        view = get_visible_view(actor, view_id)
        if not can_edit(actor, view):
            raise PermissionDenied(_("只有视图的创建人可以删除它"))
        view.delete()


def set_default_view(*, actor, view_id: int | None) -> DefaultView | None:
    """Make the view `actor`'s default (None: back to the built-in tabs)."""
    with transaction.atomic():
        if view_id is None:
            DefaultView.objects.filter(user_id=actor.pk).delete()
            return None
        view = get_visible_view(actor, view_id)
        row, _created = DefaultView.objects.update_or_create(
            user_id=actor.pk, defaults={"view": view}
        )
        return row
