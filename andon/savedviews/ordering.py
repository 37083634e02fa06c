"""Sorts of the ticket list and keyset pages over them.

Every sort is a key of (field, id) with a direction each, so a page is "after the last row's
key" — constant cost at any depth and stable while tickets change. A cursor is the row's key
as text: `1042` for the id sorts, `L2~1042` or `2026-12-07T10:00:00+00:00~1042` otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Sort:
    key: str
    label: str
    field: str  # "id" for the plain id sorts
    descending: bool
    id_descending: bool


SORTS = {
    s.key: s
    for s in (
        Sort("-id", _("最新提交"), "id", True, True),
        Sort("id", _("最早提交"), "id", False, False),
        Sort("-updated_at", _("最近更新"), "updated_at", True, True),
        Sort("priority", _("优先级从高到低"), "priority", False, True),
    )
}
DEFAULT_SORT = "-id"


def _order(sort: Sort, *, reverse: bool) -> list[str]:
    desc, id_desc = sort.descending ^ reverse, sort.id_descending ^ reverse
    fields = [] if sort.field == "id" else [("-" if desc else "") + sort.field]
    return [*fields, "-id" if id_desc else "id"]


def _cursor(sort: Sort, row) -> str:
    if sort.field == "id":
        return str(row.pk)
    value = getattr(row, sort.field)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return f"{text}~{row.pk}"


def _parse(sort: Sort, token) -> tuple | None:
    if not token or len(str(token)) > 80:
        return None
    value, _sep, pk = str(token).rpartition("~") if sort.field != "id" else ("", "", str(token))
    if not pk.isdigit() or not 0 < int(pk) < 2**63:
        return None
    if sort.field == "id":
        return (int(pk),)
    if sort.field == "updated_at":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return None
        return (parsed, int(pk))
    return (value, int(pk))


def _beyond(sort: Sort, key: tuple, *, reverse: bool) -> Q:
    """Rows that come after `key` in the sort (before it when `reverse`)."""
    desc, id_desc = sort.descending ^ reverse, sort.id_descending ^ reverse
    id_q = Q(pk__lt=key[-1]) if id_desc else Q(pk__gt=key[-1])
    if sort.field == "id":
        return id_q
    f = sort.field
    past = Q(**{f"{f}__lt": key[0]}) if desc else Q(**{f"{f}__gt": key[0]})
    return past | (Q(**{f: key[0]}) & id_q)


def keyset_page(qs, params, *, sort_key: str = DEFAULT_SORT, size: int = 25) -> dict:
    """One page of `qs` in the sort: `after` = the rows following that cursor, `before` = the
    rows preceding it. Returns rows and the cursors of the neighbouring pages (None at an end)."""
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    after, before = _parse(sort, params.get("after")), _parse(sort, params.get("before"))
    if before is not None:
        rows = list(
            qs.filter(_beyond(sort, before, reverse=True)).order_by(*_order(sort, reverse=True))[
                : size + 1
            ]
        )
        has_newer, has_older = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if after is not None:
            qs = qs.filter(_beyond(sort, after, reverse=False))
        rows = list(qs.order_by(*_order(sort, reverse=False))[: size + 1])
        has_older, has_newer = len(rows) > size, after is not None
        rows = rows[:size]
    return {
        "rows": rows,
        "newer": _cursor(sort, rows[0]) if rows and has_newer else None,
        "older": _cursor(sort, rows[-1]) if rows and has_older else None,
    }
