"""Rating pages: the form on the desk ticket page and on the portal ticket page (both post
here), and the page behind the signed e-mail link, which works without signing in. GET never
writes (mail scanners open links); the score in the link only preselects the stars."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from andon.core.errors import ServiceError
from andon.csat import selectors, services
from andon.csat.models import RatingChannel
from andon.tickets.selectors import get_visible_ticket


def _rate(request, ticket, channel: str):
    services.rate_ticket(
        ticket_id=ticket.pk,
        actor=request.user,
        score=request.POST.get("score"),
        comment=request.POST.get("comment", ""),
        channel=channel,
    )


@login_required
@require_POST
def desk_rate(request, pk: int):
    """From the desk ticket page; `via=wecom` when the page was opened from the WeCom link."""
    ticket = get_visible_ticket(request.user, pk)
    channel = RatingChannel.WECOM if request.POST.get("via") == "wecom" else RatingChannel.WEB
    try:
        _rate(request, ticket, channel)
    except ServiceError as exc:
        from andon.tickets.views.page import workspace_context

        messages.error(request, exc.detail)
        ticket = get_visible_ticket(request.user, pk)
        return render(
            request,
            "tickets/detail.html",
            workspace_context(request, ticket),
            status=exc.status_code,
        )
    messages.success(request, _("感谢你的评价"))
    return redirect("tickets:detail", pk=pk)


def portal_rate(request, ticket):
    """From the portal ticket page (the portal view checked the portal user and the ticket)."""
    try:
        _rate(request, ticket, RatingChannel.PORTAL)
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return redirect("portal:ticket", pk=ticket.pk)
    messages.success(request, _("感谢你的评价"))
    return redirect("portal:ticket", pk=ticket.pk)


@require_http_methods(["GET", "POST"])
def rate_by_link(request, token: str):
    try:
        ticket, requester = services.read_token(token)
    except ServiceError as exc:
        return render(request, "csat/link.html", {"error": exc.detail}, status=400)
    context = {
        "ticket": ticket,
        "requester": requester,
        "panel": selectors.rating_panel(requester, ticket),
        "score": request.GET.get("score", ""),
        "comment": "",
        "csat_scale": selectors.SCALE,
    }
    if request.method == "POST":
        context["score"] = request.POST.get("score", "")
        context["comment"] = request.POST.get("comment", "")
        try:
            services.rate_by_token(
                token=token, score=request.POST.get("score"), comment=request.POST.get("comment")
            )
        except ServiceError as exc:
            context["error"] = exc.detail
            return render(request, "csat/link.html", context, status=exc.status_code)
        context["done"] = True
        context["panel"] = selectors.rating_panel(requester, ticket)
    return render(request, "csat/link.html", context)
