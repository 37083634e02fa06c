"""What the ticket list page takes from saved views: which view is open (`?view=<id>`, or the
person's default when the list is opened bare), the query the list then reads (the view's
filters under the request's own values), its columns and sort, and the counts on the view tabs.

Tab counts stop at `COUNT_CAP` (shown as "999+"): the cost of a count is then bounded by the
cap, not by the size of the desk. They are cached per person and view until the next ticket
change anywhere (the newest event id is part of the key), so an idle list costs one cheap query
per refresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.cache import cache
from django.db.models import Max
from django.http import QueryDict

from andon.core.errors import NotFound
from andon.savedviews import services
from andon.savedviews.forms import COLUMNS, DEFAULT_COLUMNS, clean_columns
from andon.savedviews.models import SavedView
from andon.savedviews.ordering import DEFAULT_SORT, SORTS
from andon.savedviews.selectors import default_view_id, get_visible_view, visible_views
from andon.tickets.filters import TicketFilter
from andon.tickets.forms import OPEN_FILTER
from andon.tickets.models import UNFINISHED_STATUSES, TicketEvent
from andon.tickets.selectors import tab_tickets

COUNT_CAP = 999
CACHE_SECONDS = 300


@dataclass
class ListSetup:
    view: SavedView | None
    data: QueryDict
    columns: list[str]
    sort: str
    column_labels: list[tuple[str, str]] = field(default_factory=list)
    is_default: bool = False
    can_edit: bool = False
    can_share: bool = False
    column_choices: list[tuple[str, str]] = field(default_factory=list)
    sort_choices: list[tuple[str, str]] = field(default_factory=list)


def list_setup(request) -> ListSetup:
    user, params = request.user, request.GET
    view_id = params.get("view")
    default_id = default_view_id(user)
    if view_id is None and not params:
        view_id = default_id
    view = None
    if view_id:
        try:
            view = get_visible_view(user, view_id)
        except NotFound:
            view = None  # a stale link or a view no longer shared: the plain list
    data = QueryDict(mutable=True)
    if view is not None:
        data["tab"] = view.tab
        for key, value in view.filters.items():
            data[key] = value
        data["view"] = str(view.pk)
    for key in params:
        data.setlist(key, params.getlist(key))
    columns = list(view.columns) if view is not None and view.columns else list(DEFAULT_COLUMNS)
    try:
        columns = clean_columns(columns)
    except Exception:  # a column an older version offered: fall back rather than fail
        columns = list(DEFAULT_COLUMNS)
    sort = data.get("sort") or (view.sort if view is not None else DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    return ListSetup(
        view=view,
        data=data,
        columns=columns,
        sort=sort,
        column_labels=[(c, str(COLUMNS[c])) for c in columns],
        is_default=view is not None and view.pk == default_id,
        can_edit=view is not None and services.can_edit(user, view),
        can_share=services.can_share(user),
        column_choices=[(k, str(v)) for k, v in COLUMNS.items()],
        sort_choices=[(k, str(s.label)) for k, s in SORTS.items()],
    )


def view_queryset(user, view: SavedView):
    """The tickets `view` shows to `user`: their own visible tickets in the view's tab, filtered."""
    data = QueryDict(mutable=True)
    data.update(view.filters or {})
    if data.get("status") == OPEN_FILTER:
        data["status"] = ",".join(UNFINISHED_STATUSES)
    request = SimpleNamespace(user=user)
    filterset = TicketFilter(data=data, queryset=tab_tickets(user, view.tab), request=request)
    if not filterset.is_valid():  # a value that stopped being valid (a deleted queue): drop it
        for name in filterset.form.errors:
            data.pop(name, None)
        filterset = TicketFilter(data=data, queryset=tab_tickets(user, view.tab), request=request)
    return filterset.qs


def capped_count(qs, cap: int = COUNT_CAP) -> int:
    return qs.order_by().values("pk")[: cap + 1].count()


def _generation() -> str:
    """Moves with every ticket change (a new event) and when the worker has caught up with the
    search index (no event left pending), which `q` filters read."""
    last = TicketEvent.objects.aggregate(last=Max("id"))["last"] or 0
    pending = TicketEvent.objects.filter(fanout_pending=True).exists()
    return f"{last}{'p' if pending else ''}"


def view_counts(user, views: list[SavedView]) -> dict[int, int]:
    if not views:
        return {}
    generation = _generation()
    keys = {
        view.pk: f"savedviews:count:{user.pk}:{view.pk}:{view.updated_at.timestamp()}:{generation}"
        for view in views
    }
    cached = cache.get_many(list(keys.values()))
    counts, fresh = {}, {}
    for view in views:
        key = keys[view.pk]
        if key in cached:
            counts[view.pk] = cached[key]
        else:
            counts[view.pk] = fresh[key] = capped_count(view_queryset(user, view))
    if fresh:
        cache.set_many(fresh, CACHE_SECONDS)
    return counts


def view_tabs(user, active: SavedView | None) -> list[dict]:
    views = list(visible_views(user).order_by("-shared", "name", "id"))
    counts = view_counts(user, views)
    default_id = default_view_id(user)
    return [
        {
            "view": view,
            "count": counts.get(view.pk),
            "capped": counts.get(view.pk, 0) > COUNT_CAP,
            "active": active is not None and active.pk == view.pk,
            "default": view.pk == default_id,
            "mine": view.owner_id == user.pk,
        }
        for view in views
    ]
