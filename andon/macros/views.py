"""Canned reply pages: the management page (own replies; shared ones for queue managers), the
comment box's picker (searched and rendered for the ticket, htmx), and applying a reply with its
changes from the comment box."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from andon.core.errors import NotFound, ServiceError
from andon.core.views import is_htmx
from andon.macros import selectors, services
from andon.macros.models import MacroStep
from andon.macros.placeholders import NAMES
from andon.queues.models import Queue
from andon.tickets.forms import CommentForm, apply_service_errors
from andon.tickets.models import Priority
from andon.tickets.selectors import get_visible_ticket
from andon.tickets.views.page import workspace_context


def _require_user_of_macros(user) -> None:
    if not (services.may_have_macros(user) or selectors.manages_shared(user)):
        raise DjangoPermissionDenied


def _form_data(post) -> dict:
    return {
        "name": post.get("name", ""),
        "body": post.get("body", ""),
        "queue": post.get("queue") or None,
        "is_internal": post.get("is_internal") == "1",
        "step": post.get("step", ""),
        "priority": post.get("priority", ""),
        "tags": post.get("tags", ""),
    }


def _page(request, *, errors=None, draft=None, status=200):
    user = request.user
    manages = selectors.manages_shared(user)
    macros = list(selectors.search(user))
    context = {
        "own": [m for m in macros if m.owner_id == user.pk],
        "shared": [m for m in macros if m.queue_id],
        "manages_shared": manages,
        "queues": list(Queue.objects.filter(is_enabled=True).order_by("id")) if manages else [],
        "steps": MacroStep.choices,
        "priorities": Priority.choices,
        "placeholders": [("{" + name + "}", label) for name, label in NAMES.items()],
        "errors": errors or {},
        "draft": draft or {},
    }
    return render(request, "macros/index.html", context, status=status)


@login_required
@require_GET
def index(request):
    _require_user_of_macros(request.user)
    return _page(request)


@login_required
@require_POST
def create(request):
    _require_user_of_macros(request.user)
    data = _form_data(request.POST)
    try:
        services.create_macro(actor=request.user, **data)
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return _page(request, errors=exc.errors, draft=data, status=exc.status_code)
    messages.success(request, _("快捷回复已保存"))
    return redirect("macros:index")


@login_required
@require_POST
def update(request, pk: int):
    _require_user_of_macros(request.user)
    data = _form_data(request.POST)
    try:
        services.update_macro(actor=request.user, macro_id=pk, **data)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("快捷回复已保存"))
    return redirect("macros:index")


@login_required
@require_POST
def delete(request, pk: int):
    _require_user_of_macros(request.user)
    try:
        services.delete_macro(actor=request.user, macro_id=pk)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("快捷回复已删除"))
    return redirect("macros:index")


@login_required
@require_GET
def picker(request, ticket_pk: int):
    ticket = get_visible_ticket(request.user, ticket_pk)
    macros = list(selectors.search(request.user, request.GET.get("q", ""))[:30])
    items = [
        {"macro": m, "rendered": services.render_for(m, ticket=ticket, actor=request.user)}
        for m in macros
    ]
    return render(request, "macros/_picker_results.html", {"items": items, "ticket": ticket})


@login_required
@require_POST
def apply(request, ticket_pk: int):
    ticket = get_visible_ticket(request.user, ticket_pk)
    try:
        services.apply_macro(
            actor=request.user,
            ticket_id=ticket.pk,
            macro_id=request.POST.get("macro"),
            body=request.POST.get("body", ""),
            is_internal=request.POST.get("is_internal") == "1",
        )
    except ServiceError as exc:
        form = CommentForm(request.POST)
        form.is_valid()
        apply_service_errors(form, exc, aliases={"note": "body", "resolution": "body"})
        context = workspace_context(request, ticket, forms={"comment": form})
        if is_htmx(request):
            return render(request, "tickets/_workspace.html", context, status=200)
        messages.error(request, exc.detail)
        return redirect("tickets:detail", pk=ticket.pk)
    message = _("快捷回复已应用")
    try:
        ticket = get_visible_ticket(request.user, ticket.pk)
    except NotFound:
        messages.success(request, message)
        return redirect("tickets:list")
    if is_htmx(request):
        return render(
            request, "tickets/_workspace.html", workspace_context(request, ticket, flash=message)
        )
    messages.success(request, message)
    return redirect("tickets:detail", pk=ticket.pk)
