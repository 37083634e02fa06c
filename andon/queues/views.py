"""Queue configuration pages (配置 › 队列). Thin: reads come from `queues.selectors`, writes
go through `queues.services`, and a service error is shown on the form that caused it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.core.views import is_htmx
from andon.queues import selectors, services
from andon.queues.forms import QueueForm, member_ids_from
from andon.queues.models import Queue
from andon.tickets.forms import apply_service_errors


def _require_manager(request) -> None:
    if not has_perm(request.user, "queues.manage"):
        raise PermissionDenied


def _queue_or_404(queue_id: int) -> Queue:
    queue = Queue.objects.filter(pk=queue_id).first()
    if queue is None:
        raise Http404
    return queue


@login_required
@require_GET
def queue_list(request):
    _require_manager(request)
    queues = list(selectors.queue_overview())
    return render(
        request,
        "config/queues/list.html",
        {
            "enabled": [q for q in queues if q.is_enabled],
            "disabled": [q for q in queues if not q.is_enabled],
        },
    )


def _picked_members(ids: list[int]) -> list:
    """The people in the member picker, in the submitted order (for a re-displayed form)."""
    people = get_user_model().objects.in_bulk(ids)
    return [people[pk] for pk in ids if pk in people]


def _form_page(request, *, queue: Queue | None, form: QueueForm, members, status: int = 200):
    return render(
        request,
        "config/queues/form.html",
        {"queue": queue, "form": form, "members": members},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def queue_create(request):
    _require_manager(request)
    if request.method == "GET":
        return _form_page(request, queue=None, form=QueueForm(), members=[])
    form = QueueForm(request.POST)
    ids, ids_valid = member_ids_from(request.POST)
    if form.is_valid() and ids_valid:
        try:
            queue = services.create_queue(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                dispatch_rule=form.cleaned_data["dispatch_rule"],
                members=ids,
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("队列「%s」已创建") % queue.name)
            return redirect("config:queue-detail", queue_id=queue.pk)
    elif not ids_valid:
        form.add_error(None, _("成员应为用户 id 列表"))
    return _form_page(request, queue=None, form=form, members=_picked_members(ids), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def queue_edit(request, queue_id: int):
    _require_manager(request)
    queue = _queue_or_404(queue_id)
    if request.method == "GET":
        form = QueueForm(
            initial={
                "name": queue.name,
                "description": queue.description,
                "dispatch_rule": queue.dispatch_rule,
            }
        )
        members = [m.user for m in selectors.queue_members_with_load(queue)]
        return _form_page(request, queue=queue, form=form, members=members)
    form = QueueForm(request.POST)
    ids, ids_valid = member_ids_from(request.POST)
    if form.is_valid() and ids_valid:
        try:
            services.update_queue(
                actor=request.user,
                queue_id=queue.pk,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                dispatch_rule=form.cleaned_data["dispatch_rule"],
                members=ids,
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("队列已保存"))
            return redirect("config:queue-detail", queue_id=queue.pk)
    elif not ids_valid:
        form.add_error(None, _("成员应为用户 id 列表"))
    return _form_page(request, queue=queue, form=form, members=_picked_members(ids), status=400)


@login_required
@require_GET
def queue_detail(request, queue_id: int):
    _require_manager(request)
    queue = selectors.queue_overview().filter(pk=queue_id).first()
    if queue is None:
        raise Http404
    memberships = selectors.queue_members_with_load(queue)
    entries = list(
        queue.catalog_entries.filter(parent__isnull=False)
        .select_related("parent")
        .order_by("parent__order", "parent_id", "order", "id")
    )
    return render(
        request,
        "config/queues/detail.html",
        {
            "queue": queue,
            "memberships": memberships,
            "entries": entries,
        },
    )


@login_required
@require_GET
def people_search(request):
    """htmx: the people matching `q` for the member picker, minus those already picked."""
    _require_manager(request)
    picked, _valid = member_ids_from(request.GET)
    people = selectors.people_search(request.GET.get("q", ""), exclude=picked)
    return render(request, "config/queues/_people_results.html", {"people": people})


def _disable_context(queue: Queue, error: str = "") -> dict:
    return {"queue": queue, "entries": selectors.queue_disable_impact(queue), "error": error}


@login_required
@require_http_methods(["GET", "POST"])
def queue_disable(request, queue_id: int):
    """GET shows which catalog entries would lose their queue and asks to confirm; POST with
    `confirm` disables it."""
    _require_manager(request)
    queue = _queue_or_404(queue_id)
    template = "config/queues/_disable_confirm.html" if is_htmx(request) else None
    template = template or "config/queues/disable.html"
    if request.method == "GET":
        return render(request, template, _disable_context(queue))
    try:
        services.disable_queue(
            actor=request.user, queue_id=queue.pk, confirm=request.POST.get("confirm") == "1"
        )
    except ServiceError as exc:
        response = render(request, template, _disable_context(queue, exc.detail), status=400)
        if is_htmx(request):
            response["HX-Retarget"] = "#queue-disable-panel"
            response["HX-Reswap"] = "outerHTML"
        return response
    messages.success(request, _("队列「%s」已停用") % queue.name)
    return _redirect(request, reverse("config:queues"))


@login_required
@require_POST
def queue_enable(request, queue_id: int):
    _require_manager(request)
    queue = _queue_or_404(queue_id)
    services.enable_queue(actor=request.user, queue_id=queue.pk)
    messages.success(request, _("队列「%s」已启用") % queue.name)
    return _redirect(request, request.POST.get("next") or reverse("config:queues"))


def _redirect(request, url: str):
    if not url.startswith("/") or url.startswith("//"):
        url = reverse("config:queues")
    if is_htmx(request):
        response = render(request, "config/queues/_empty.html")
        response["HX-Redirect"] = url
        return response
    return redirect(url)
