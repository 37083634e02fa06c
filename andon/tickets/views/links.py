"""Linking tickets and merging a duplicate from the ticket page. Plain forms: success redirects
back to the page with a message; a refusal re-renders the page with the message and its status
(400, 403, 404, 409)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from andon.core.errors import ServiceError
from andon.tickets.selectors import get_visible_ticket
from andon.tickets.services import links
from andon.tickets.views.page import workspace_context


def _refused(request, pk, exc: ServiceError):
    ticket = get_visible_ticket(request.user, pk)
    messages.error(request, exc.detail)
    return render(
        request, "tickets/detail.html", workspace_context(request, ticket), status=exc.status_code
    )


@login_required
@require_POST
def ticket_link(request, pk: int):
    get_visible_ticket(request.user, pk)
    try:
        link = links.link_tickets(
            ticket_id=pk,
            actor=request.user,
            other=request.POST.get("ticket", ""),
            relation=request.POST.get("relation", ""),
            note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        return _refused(request, pk, exc)
    other = link.target if link.source_id == pk else link.source
    messages.success(request, _("已关联工单 %s") % other.number)
    return redirect("tickets:detail", pk=pk)


@login_required
@require_POST
def ticket_unlink(request, pk: int, link_id: int):
    get_visible_ticket(request.user, pk)
    try:
        links.unlink_tickets(ticket_id=pk, actor=request.user, link_id=link_id)
    except ServiceError as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("已取消关联"))
    return redirect("tickets:detail", pk=pk)


@login_required
@require_POST
def ticket_merge(request, pk: int):
    get_visible_ticket(request.user, pk)
    try:
        original = links.merge_ticket(
            ticket_id=pk,
            actor=request.user,
            into=request.POST.get("into", ""),
            note=request.POST.get("note", ""),
        )
    except ServiceError as exc:
        return _refused(request, pk, exc)
    messages.success(request, _("已合并到 %s，本工单已关闭") % original.number)
    return redirect("tickets:detail", pk=pk)
