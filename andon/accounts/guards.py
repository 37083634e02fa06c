"""Who may change whom: the rules every write to people and roles passes, from the pages, the
API and the people import alike. Each returns the reason for a refusal (None when allowed) so
the import preview can show it per row; services raise it.

- Granting or removing roles needs `roles.manage`, and nobody grants a bit they do not hold
  themselves (a role holding `people.manage` cannot make itself 管理员).
- Only an administrator changes an administrator: password, roles, WeCom id, deactivation.
- Deactivation: never oneself, never the last active administrator, and never someone who still
  owns unfinished tickets without a successor to hand them to.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from andon.accounts import work
from andon.accounts.models import Role
from andon.accounts.permissions import has_perm

ADMIN_ROLE = "admin"


def is_administrator(user) -> bool:
    if user is None or not getattr(user, "pk", None):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return user.roles.filter(code=ADMIN_ROLE).exists()


def _actor_codes(actor) -> frozenset[str]:
    return actor.permission_codes if getattr(actor, "is_authenticated", False) else frozenset()


def bits_refusal(actor, codes: Iterable[str]) -> str | None:
    """Handing out `codes` (in a role's bits or through its members) needs each of them."""
    missing = sorted(set(codes) - _actor_codes(actor))
    if missing:
        return _("不能授予自己没有的权限：%s") % "、".join(missing)
    return None


def grant_refusal(actor, *, before: Iterable[Role], after: Iterable[Role]) -> str | None:
    """Changing someone's roles from `before` to `after`."""
    before, after = set(before), set(after)
    if before == after:
        return None
    if not has_perm(actor, "roles.manage"):
        return _("授予或移除角色需要「管理角色与权限」权限")
    added: set[str] = set()
    for role in after - before:
        added |= role.permission_codes
    return bits_refusal(actor, added)


def admin_change_refusal(actor, target) -> str | None:
    if is_administrator(target) and not is_administrator(actor):
        return _("只有管理员才能修改管理员的账号")
    return None


def active_admin_count(exclude_user_ids=()) -> int:
    return (
        get_user_model()
        .objects.filter(is_active=True, roles__code=ADMIN_ROLE)
        .exclude(pk__in=exclude_user_ids)
        .distinct()
        .count()
    )


def last_admin_refusal(target) -> str | None:
    """`target` is about to stop being an active administrator."""
    if target.is_active and is_administrator(target) and active_admin_count((target.pk,)) == 0:
        return _("至少要保留一名在职的管理员")
    return None


def unfinished_ticket_count(user) -> int:
    return work.unfinished_count(user)


def deactivation_refusal(actor, target, *, has_successor: bool) -> tuple[str, str] | None:
    """(code, reason) when `actor` may not deactivate `target` now."""
    if target.pk == getattr(actor, "pk", None):
        return "self_deactivation", _("不能停用自己的账号")
    reason = admin_change_refusal(actor, target)
    if reason:
        return "permission_denied", reason
    reason = last_admin_refusal(target)
    if reason:
        return "last_admin", reason
    count = unfinished_ticket_count(target)
    if count and not has_successor:
        return "has_open_tickets", _(
            "「%(name)s」名下还有 %(count)s 张未完成的工单，请选择接手人"
        ) % {"name": target.name, "count": count}
    return None
