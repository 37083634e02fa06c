"""Reads of people and the org chart."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from andon.accounts import work
from andon.accounts.models import Department, Role
from andon.accounts.permissions import AREAS, PERMISSIONS

User = get_user_model()


def user_list(*, q: str = "") -> QuerySet:
    """Active people, optionally narrowed by a text query over names, account, e-mail, mobile."""
    qs = User.objects.filter(is_active=True).select_related("main_department").order_by("id")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(display_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(mobile__icontains=q)
        )
    return qs


def department_tree() -> list[Department]:
    """Every department in pre-order (each parent before its children, siblings by `order`),
    with `depth` set and leaders prefetched: two queries whatever the size of the tree."""
    departments = list(
        Department.objects.order_by("order", "id").prefetch_related(
            Prefetch("leaders", queryset=User.objects.order_by("id"))
        )
    )
    children: dict[int | None, list[Department]] = {}
    known = {d.pk for d in departments}
    for department in departments:
        # A parent outside the list cannot happen with PROTECT, but never drop a department.
        parent_id = department.parent_id if department.parent_id in known else None
        children.setdefault(parent_id, []).append(department)
    ordered: list[Department] = []
    stack = [(d, 0) for d in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        department, depth = stack.pop()
        if department.pk in seen:
            continue
        seen.add(department.pk)
        department.depth = depth
        ordered.append(department)
        stack.extend((child, depth + 1) for child in reversed(children.get(department.pk, [])))
    # A parent cycle has no root; list those departments rather than hide them.
    for department in departments:
        if department.pk not in seen:
            department.depth = 0
            ordered.append(department)
    return ordered


def people_directory(
    *, q: str = "", department_id=None, role_id=None, active: bool | None = None
) -> QuerySet:
    """Everyone (active or not) for the administrator's people list, with what a row shows
    preloaded: main department, roles and direct leaders in three queries per page."""
    qs = (
        User.objects.select_related("main_department")
        .prefetch_related(
            Prefetch("roles", queryset=Role.objects.order_by("-builtin", "id")),
            Prefetch("direct_leaders", queryset=User.objects.order_by("id")),
        )
        .order_by("-is_active", "id")
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(display_name__icontains=q)
            | Q(email__icontains=q)
            | Q(mobile__icontains=q)
        )
    if department_id:
        qs = qs.filter(main_department_id=department_id)
    if role_id:
        qs = qs.filter(roles__id=role_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.distinct() if role_id else qs


def person_detail(user_id) -> User | None:
    return (
        User.objects.select_related("main_department")
        .prefetch_related("roles", "direct_leaders")
        .filter(pk=user_id)
        .first()
    )


def unfinished_ticket_count(user) -> int:
    """Tickets this person owns that are not finished: what a deactivation must hand over."""
    return work.unfinished_count(user)


def role_list() -> QuerySet:
    """Roles, built-in first, each with `member_count`."""
    return Role.objects.annotate(member_count=Count("users", distinct=True)).order_by(
        "-builtin", "id"
    )


def role_members(role: Role) -> QuerySet:
    return role.users.select_related("main_department").order_by("-is_active", "id")


def permission_groups() -> list[dict]:
    """Permission bits grouped by area, in the order areas are declared."""
    groups = {
        area: {"area": area, "label": str(label), "permissions": []}
        for area, label in AREAS.items()
    }
    for permission in PERMISSIONS:
        groups[permission.area]["permissions"].append(
            {"code": permission.code, "label": str(permission.label)}
        )
    return [group for group in groups.values() if group["permissions"]]
