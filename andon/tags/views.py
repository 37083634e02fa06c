"""Tag pages: the ticket page's tag panel (add / remove, htmx), and the tags page — counts by tag
over the tickets one may see (`reports.view`), with rename and merge for `tags.manage`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.core.views import is_htmx
from andon.tags import selectors, services
from andon.tags.policies import may_tag
from andon.tickets.selectors import get_visible_ticket


def panel_context(user, ticket, *, error: str = "") -> dict:
    return {
        "ticket": ticket,
        "ticket_tag_list": selectors.ticket_tags_of(ticket),
        "may_tag": may_tag(user, ticket),
        "tag_error": error,
    }


def _panel(request, ticket, *, error: str = "", status: int = 200):
    context = panel_context(request.user, ticket, error=error)
    # htmx swaps only 2xx answers: the refusal is shown in the panel it came from.
    return render(
        request, "tags/_ticket_tags.html", context, status=200 if is_htmx(request) else status
    )


@login_required
@require_POST
def ticket_add(request, pk: int):
    ticket = get_visible_ticket(request.user, pk)
    try:
        services.add_tags(
            ticket_id=ticket.pk, actor=request.user, names=request.POST.get("tags", "")
        )
    except ServiceError as exc:
        return _panel(request, ticket, error=exc.detail, status=exc.status_code)
    return _panel(request, ticket)


@login_required
@require_POST
def ticket_remove(request, pk: int, tag_id: int):
    ticket = get_visible_ticket(request.user, pk)
    try:
        services.remove_tag(ticket_id=ticket.pk, actor=request.user, tag_id=tag_id)
    except ServiceError as exc:
        return _panel(request, ticket, error=exc.detail, status=exc.status_code)
    return _panel(request, ticket)


@login_required
@require_GET
def ticket_suggest(request):
    """Names for the tag input's suggestions (any signed-in person may read tag names)."""
    tags = selectors.all_tags(request.GET.get("tags", "").split(",")[-1])[:20]
    return render(request, "tags/_suggestions.html", {"suggestions": tags})


def _require_reports(user) -> None:
    if not (has_perm(user, "reports.view") or has_perm(user, "tags.manage")):
        raise DjangoPermissionDenied


@login_required
@require_GET
def index(request):
    _require_reports(request.user)
    manages = has_perm(request.user, "tags.manage")
    counts = selectors.tag_counts(request.user) if has_perm(request.user, "reports.view") else []
    context = {"counts": counts, "manages": manages}
    if manages:
        usage = selectors.usage_counts()
        context["all_tags"] = [(tag, usage.get(tag.pk, 0)) for tag in selectors.all_tags()]
    return render(request, "tags/index.html", context)


def _admin_action(request, run, done_message: str):
    if not has_perm(request.user, "tags.manage"):
        raise DjangoPermissionDenied
    try:
        run()
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done_message)
    return redirect("tags:index")


@login_required
@require_POST
def rename(request, tag_id: int):
    return _admin_action(
        request,
        lambda: services.rename_tag(
            actor=request.user, tag_id=tag_id, name=request.POST.get("name", "")
        ),
        _("标签已重命名"),
    )


@login_required
@require_POST
def merge(request, tag_id: int):
    return _admin_action(
        request,
        lambda: services.merge_tags(
            actor=request.user, source_id=tag_id, target_id=request.POST.get("into")
        ),
        _("标签已合并"),
    )


@login_required
@require_POST
def delete(request, tag_id: int):
    return _admin_action(
        request, lambda: services.delete_tag(actor=request.user, tag_id=tag_id), _("标签已删除")
    )
