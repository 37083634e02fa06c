"""Posting an action from the ticket page. Which actions exist, what each takes and which service
runs it come from the workflow table; the page adds its success messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from andon.core.errors import NotFound, ServiceError
from andon.core.views import is_htmx
from andon.tickets import services, workflow
from andon.tickets.forms import ActionForm, CommentForm, TransferForm, apply_service_errors
from andon.tickets.models import Ticket
from andon.tickets.selectors import get_visible_ticket
from andon.tickets.views.page import BUTTONS, PAGE_ACTIONS, action_spec, workspace_context

SUCCESS_MESSAGES = {
    "claim": gettext_lazy("已认领，你现在是当前处理人"),
    "accept": gettext_lazy("已接单，开始处理"),
    "take-over": gettext_lazy("已接手，你现在是当前处理人"),
    "resolve": gettext_lazy("已提交解决方案，等待提单人确认"),
    "need-info": gettext_lazy("已请提单人补充信息"),
    "transfer": gettext_lazy("已转单"),
    "resume": gettext_lazy("已补充完成，工单恢复处理"),
    "confirm": gettext_lazy("已确认完成"),
    "reopen": gettext_lazy("工单已重新打开"),
    "urge": gettext_lazy("已催单，当前处理人会收到提醒"),
    "cancel": gettext_lazy("工单已取消"),
    "close": gettext_lazy("工单已关闭"),
    "comment": gettext_lazy("评论已发布"),
}
ACTION_NAMES = frozenset((*BUTTONS, *PAGE_ACTIONS, "comment"))
# Services name the note after its meaning (resolution, reason); the form always calls it `note`.
NOTE_ALIASES = {"resolution": "note", "reason": "note", "body": "body"}


def _run_action(name: str, request, ticket: Ticket):
    """Call the action's service with the inputs the table lists; returns the bound form (for
    re-display on error)."""
    step = workflow.get(PAGE_ACTIONS.get(name, name))
    kwargs: dict = {}
    if step.form == "comment":
        form = CommentForm(request.POST, request.FILES)
        form.is_valid()
        data = form.cleaned_data
        if "attachments" in form.errors:
            raise ServiceError(
                form.errors["attachments"][0], errors={"attachments": form.errors["attachments"]}
            )
        kwargs = {
            "body": data.get("body", ""),
            "is_internal": data.get("is_internal", False),
            "attachments": data.get("attachments") or [],
        }
    elif step.form == "transfer":
        form = TransferForm(request.POST)
        form.is_valid()
        kwargs = {spec.argument: form.cleaned_data.get(spec.name) or None for spec in step.inputs}
        kwargs["note"] = kwargs["note"] or ""
    else:
        form = ActionForm(request.POST)
        form.is_valid()
        if step.inputs:  # one free-text note, under the service's own name for it
            kwargs = {step.inputs[0].argument: form.cleaned_data.get("note", "")}
    getattr(services, step.service)(ticket_id=ticket.pk, actor=request.user, **kwargs)
    return form


@login_required
@require_POST
def ticket_action(request, pk: int, action: str):
    if action not in ACTION_NAMES:
        raise Http404
    ticket = get_visible_ticket(request.user, pk)
    try:
        _run_action(action, request, ticket)
    except ServiceError as exc:
        return _action_error(request, ticket, action, exc)
    message = str(SUCCESS_MESSAGES[action])
    try:
        ticket = get_visible_ticket(request.user, pk)
    except NotFound:
        # e.g. transferred away from the only queue that let this user see it.
        messages.success(request, message)
        return _redirect(request, reverse("tickets:list"))
    if is_htmx(request):
        context = workspace_context(request, ticket, flash=message)
        return render(request, "tickets/_workspace.html", context)
    messages.success(request, message)
    return redirect("tickets:detail", pk=pk)


def _redirect(request, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _action_error(request, ticket: Ticket, action: str, exc: ServiceError) -> HttpResponse:
    if action == "comment":
        form = CommentForm(request.POST)
        form.is_valid()
        apply_service_errors(form, exc)
    else:
        form_class = TransferForm if action == "transfer" else ActionForm
        form = form_class(request.POST)
        form.is_valid()
        apply_service_errors(form, exc, aliases=NOTE_ALIASES)
    if is_htmx(request):
        context = workspace_context(request, ticket, forms={action: form})
        if action == "comment":
            template, target = "tickets/_comment_form.html", "#comment-form"
        else:
            context["spec"] = action_spec(action)
            context["form"] = form
            template, target = "tickets/_action_form.html", f"#action-form-{action}"
        response = render(request, template, context, status=exc.status_code)
        response["HX-Retarget"] = target
        response["HX-Reswap"] = "outerHTML"
        return response
    context = workspace_context(request, ticket, forms={action: form})
    shown = {item["spec"].name for item in context["actions"]}
    if not (context["can_comment"] if action == "comment" else action in shown):
        # The action is not this person's now, so its form is not on the page to carry the error.
        messages.error(request, exc.detail)
    return render(request, "tickets/detail.html", context, status=exc.status_code)
