"""The chat sidebar (侧边栏) and the handover page. Thin: reads through selectors, writes through
services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.customers import handover as handover_service
from andon.customers import selectors, services
from andon.customers.forms import HandoverForm, SidebarTicketForm
from andon.knowledge.search import search_articles
from andon.tickets.forms import apply_service_errors, catalog_tree
from andon.tickets.models import Channel

User = get_user_model()

SIDEBAR_TICKETS = 20


def _context_params(request) -> dict:
    source = request.POST if request.method == "POST" else request.GET
    return {
        key: source.get(key, "").strip()[:64]
        for key in ("external_userid", "chat_id", "channel")
        if source.get(key, "").strip()
    }


def _sidebar_url(params: dict) -> str:
    url = reverse("customers:sidebar")
    return f"{url}?{urlencode(params)}" if params else url


@login_required
@require_http_methods(["GET", "POST"])
def sidebar(request):
    if not selectors.can_read(request.user):
        raise PermissionDenied
    params = _context_params(request)
    ctx = selectors.chat_context(
        external_userid=params.get("external_userid", ""), chat_id=params.get("chat_id", "")
    )
    channel = selectors.channel_for_context(
        external_userid=ctx["external_userid"],
        chat_id=ctx["chat_id"],
        channel=params.get("channel"),
    )
    may_file = has_perm(request.user, "tickets.create")
    form = SidebarTicketForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_file:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.file_ticket(
                    actor=request.user,
                    title=data["title"],
                    catalog_entry_id=data["catalog_entry"] or None,
                    description=data["description"],
                    priority=data["priority"] or None,
                    channel=channel,
                    customer_id=ctx["customer"].pk if ctx["customer"] else None,
                    contact_id=ctx["contact"].pk if ctx["contact"] else None,
                    group_chat_id=ctx["group_chat"].pk if ctx["group_chat"] else None,
                    external_userid=ctx["external_userid"],
                    chat_id=ctx["chat_id"],
                )
            except ServiceError as exc:
                apply_service_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("工单 %s 已提交") % ticket.number)
                return redirect(_sidebar_url(params))
        else:
            status = 400
    tickets = list(
        selectors.with_active_timers(
            selectors.origin_tickets(
                request.user,
                customer=ctx["customer"],
                contact=ctx["contact"],
                group_chat=ctx["group_chat"],
                external_userid=ctx["external_userid"],
            )
        )[:SIDEBAR_TICKETS]
    )
    rows = [{"ticket": t, "ola": selectors.ola_state(t)} for t in tickets]
    context = {
        **ctx,
        "params": params,
        "channel": channel,
        "channel_label": Channel(channel).label,
        "rows": rows,
        "form": form,
        "may_file": may_file,
        "catalog": catalog_tree() if may_file else [],
        "selected_parent": form["catalog_parent"].value() or "",
        "selected_entry": form["catalog_entry"].value() or "",
        "form_open": request.method == "POST",
    }
    return render(request, "customers/sidebar.html", context, status=status)


@login_required
@require_GET
def sidebar_search(request):
    """Knowledge search results for the sidebar (an htmx fragment)."""
    if not selectors.can_read(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()[:200]
    results = search_articles(request.user, q, limit=8) if q else []
    return render(request, "customers/_search_results.html", {"q": q, "results": results})


@login_required
@require_http_methods(["GET", "POST"])
def handover_page(request):
    if not handover_service.may_hand_over(request.user):
        raise PermissionDenied
    form = HandoverForm(request.POST or None)
    summary = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            summary = handover_service.hand_over(
                actor=request.user,
                from_user=form.cleaned_data["from_user"],
                to_user=form.cleaned_data["to_user"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status_code
    people = User.objects.filter(portal_account__isnull=True).order_by("-is_active", "username")
    return render(
        request,
        "customers/handover.html",
        {"form": form, "summary": summary, "people": people},
        status=status,
    )
