"""Reads of people and the org chart."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from andon.accounts.models import Department

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
