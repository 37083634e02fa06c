"""The ticket list: tabs, filters and keyset pages, every row from `visible_tickets(user)`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from andon.accounts.permissions import has_perm
from andon.core.views import htmx_target
from andon.queues.selectors import member_queue_ids
from andon.reports.selectors import my_summary
from andon.savedviews.ordering import keyset_page as sorted_keyset_page
from andon.savedviews.views.listing import list_setup, view_tabs
from andon.tags.selectors import with_tags
from andon.tickets.filters import TicketFilter
from andon.tickets.forms import OPEN_FILTER, TicketListFilterForm
from andon.tickets.models import OPEN_STATUSES, UNFINISHED_STATUSES
from andon.tickets.selectors import list_filter_choices, tab_tickets, with_list_relations
from andon.ticketsearch.search import attach_search_hits

PAGE_SIZE = 25


# --- list -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    icon: str


TABS = {
    "assigned": Tab("assigned", gettext_lazy("待我处理"), "user-check"),
    "pool": Tab("pool", gettext_lazy("队列待认领"), "inbox"),
    "created": Tab("created", gettext_lazy("我提交的"), "send"),
    "all": Tab("all", gettext_lazy("全部可见"), "list"),
}


def _handles_tickets(user) -> bool:
    return bool(
        has_perm(user, "tickets.handle")
        or has_perm(user, "tickets.manage")
        or member_queue_ids(user)
    )


def _tabs_for(user) -> list[Tab]:
    if _handles_tickets(user):
        keys = (
            ["assigned", "pool", "created", "all"]
            if member_queue_ids(user)
            else ["assigned", "created", "all"]
        )
    else:
        keys = ["created", "all"]
    return [TABS[key] for key in keys]


FILTER_NAMES = ("q", "status", "priority", "queue", "catalog_entry")


def filter_tickets(qs, filters: dict, request, params=None):
    """Apply the list filters through the same TicketFilter the API uses; the web form only
    adds the 未完成 shortcut and drops values it could not read."""
    params = request.GET if params is None else params
    data = {name: filters[name] for name in FILTER_NAMES if filters.get(name)}
    # Custom field filters (`cf_<key>=value`), the tag filter and the people filters of a saved
    # view come straight from the query.
    data.update({k: v for k, v in params.items() if k.startswith("cf_") and v.strip()})
    data.update({k: params[k] for k in ("assignee", "requester", "channel") if params.get(k)})
    if params.get("tag", "").strip():
        data["tag"] = params["tag"]
    if data.get("status") == OPEN_FILTER:
        data["status"] = ",".join(UNFINISHED_STATUSES)
    filterset = TicketFilter(data=data, queryset=qs, request=request)
    if not filterset.is_valid():
        for name in filterset.form.errors:
            data.pop(name, None)
        filterset = TicketFilter(data=data, queryset=qs, request=request)
    return filterset.qs


@login_required
@require_GET
def ticket_list(request):
    user = request.user
    tabs = _tabs_for(user)
    tab_keys = [tab.key for tab in tabs]
    # A saved view (?view=<id>, or the default one) supplies the query, columns and sort.
    setup = list_setup(request)
    params = setup.data
    tab = params.get("tab")
    if tab not in tab_keys:
        tab = tab_keys[0]
    queues, catalog_entries = list_filter_choices()
    form = TicketListFilterForm(params, queues=queues, catalog_entries=catalog_entries)
    filters = form.cleaned_or_empty()
    qs = filter_tickets(tab_tickets(user, tab), filters, request, params)
    page = sorted_keyset_page(with_tags(with_list_relations(qs)), params, sort_key=setup.sort)

    counts = tab_counts(user, tab_keys)
    filtered = any(filters.get(name) for name in FILTER_NAMES)
    context = {
        "tabs": [(t, counts.get(t.key)) for t in tabs],
        "tab": tab,
        "form": form,
        "filtered": filtered,
        "tickets": page["rows"],
        "newer": page["newer"],
        "older": page["older"],
        "list_setup": setup,
    }
    attach_search_hits(user, page["rows"], filters.get("q") or "")
    if htmx_target(request) != "ticket-results":
        context["saved_views"] = view_tabs(user, setup.view)
        if _handles_tickets(user):
            context["my_summary"] = my_summary(user)
    template = (
        "tickets/_list_results.html"
        if htmx_target(request) == "ticket-results"
        else "tickets/list.html"
    )
    return render(request, template, context)


def tab_counts(user, tab_keys) -> dict[str, int]:
    """The badges of the built-in tabs: my unfinished tickets and my queues' open pool."""
    counts = {}
    if "assigned" in tab_keys:
        counts["assigned"] = (
            tab_tickets(user, "assigned").filter(status__in=UNFINISHED_STATUSES).count()
        )
    if "pool" in tab_keys:
        counts["pool"] = tab_tickets(user, "pool").filter(status__in=OPEN_STATUSES).count()
    return counts
