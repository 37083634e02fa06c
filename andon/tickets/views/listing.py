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
from andon.tags.selectors import with_tags
from andon.tickets.filters import TicketFilter
from andon.tickets.forms import OPEN_FILTER, TicketListFilterForm
from andon.tickets.models import OPEN_STATUSES, UNFINISHED_STATUSES
from andon.tickets.selectors import list_filter_choices, tab_tickets, with_list_relations

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


def _int_param(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def keyset_page(qs, params, size: int = PAGE_SIZE) -> dict:
    """Newest first, paged by id: `after` = older than that id, `before` = newer. Constant cost at
    any depth, and stable while tickets are being created."""
    after, before = _int_param(params.get("after")), _int_param(params.get("before"))
    if before is not None:
        rows = list(qs.filter(pk__gt=before).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = True
    else:
        if after is not None:
            qs = qs.filter(pk__lt=after)
        rows = list(qs.order_by("-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = after is not None
    return {
        "rows": rows,
        "newer": rows[0].pk if rows and has_newer else None,
        "older": rows[-1].pk if rows and has_older else None,
    }


FILTER_NAMES = ("q", "status", "priority", "queue", "catalog_entry")


def filter_tickets(qs, filters: dict, request):
    """Apply the list filters through the same TicketFilter the API uses; the web form only
    adds the 未完成 shortcut and drops values it could not read."""
    data = {name: filters[name] for name in FILTER_NAMES if filters.get(name)}
    # Custom field filters (`cf_<key>=value`) come straight from the query string.
    data.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v.strip()})
    if request.GET.get("tag", "").strip():
        data["tag"] = request.GET["tag"]
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
    tab = request.GET.get("tab")
    if tab not in tab_keys:
        tab = tab_keys[0]
    queues, catalog_entries = list_filter_choices()
    form = TicketListFilterForm(request.GET, queues=queues, catalog_entries=catalog_entries)
    filters = form.cleaned_or_empty()
    qs = filter_tickets(tab_tickets(user, tab), filters, request)
    page = keyset_page(with_tags(with_list_relations(qs)), request.GET)

    counts = {}
    if "assigned" in tab_keys:
        counts["assigned"] = (
            tab_tickets(user, "assigned").filter(status__in=UNFINISHED_STATUSES).count()
        )
    if "pool" in tab_keys:
        counts["pool"] = tab_tickets(user, "pool").filter(status__in=OPEN_STATUSES).count()
    filtered = any(filters.get(name) for name in FILTER_NAMES)
    context = {
        "tabs": [(t, counts.get(t.key)) for t in tabs],
        "tab": tab,
        "form": form,
        "filtered": filtered,
        "tickets": page["rows"],
        "newer": page["newer"],
        "older": page["older"],
    }
    if htmx_target(request) != "ticket-results" and _handles_tickets(user):
        context["my_summary"] = my_summary(user)
    template = (
        "tickets/_list_results.html"
        if htmx_target(request) == "ticket-results"
        else "tickets/list.html"
    )
    return render(request, template, context)
