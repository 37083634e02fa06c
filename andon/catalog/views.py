"""The service catalog configuration page (配置 › 服务目录): the two-level tree, edited in place
with htmx. Every action posts one small form, goes through `catalog.services`, and answers with
the re-rendered tree; an error is shown next to the form that caused it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from andon.accounts.permissions import has_perm
from andon.catalog import selectors, services
from andon.catalog.forms import posted_id, posted_queue
from andon.catalog.models import CatalogEntry
from andon.core.errors import NotFound, ServiceError
from andon.core.views import is_htmx
from andon.queues.models import Queue


def _require_manager(request) -> None:
    if not has_perm(request.user, "catalog.manage"):
        raise PermissionDenied


def _context(selected_id: int | None, error: dict | None = None) -> dict:
    roots = selectors.catalog_tree()
    selected = next((root for root in roots if root.pk == selected_id), None)
    if selected is None and roots and selected_id is None:
        selected = roots[0]
    return {
        "roots": roots,
        "selected": selected,
        "queues": list(Queue.objects.order_by("-is_enabled", "name", "id")),
        "error": error or {},
    }


def _render(request, selected_id, *, error: dict | None = None, status: int = 200):
    context = _context(selected_id, error)
    if is_htmx(request):
        response = render(request, "config/catalog/_tree.html", context, status=status)
        if status >= 400:
            response["HX-Retarget"] = "#catalog-tree"
            response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "config/catalog/index.html", context, status=status)


@login_required
@require_GET
def catalog_page(request):
    _require_manager(request)
    return _render(request, posted_id(request.GET, "selected"))


def _done(request, selected_id):
    if is_htmx(request):
        return _render(request, selected_id)
    url = reverse("config:catalog")
    return redirect(f"{url}?selected={selected_id}" if selected_id else url)


def _failed(request, selected_id, kind: str, entry_id, exc, values: dict | None = None):
    """Re-render with the error attached to the form (`kind`, `entry_id`) that caused it."""
    error = {"kind": kind, "entry": entry_id, "message": exc.detail, "values": values or {}}
    return _render(request, selected_id, error=error, status=400)


def _entry(entry_id: int) -> CatalogEntry:
    entry = CatalogEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("")
    return entry


def _selection_of(entry: CatalogEntry) -> int:
    return entry.parent_id or entry.pk


@login_required
@require_POST
def entry_create(request):
    _require_manager(request)
    parent_id = posted_id(request.POST, "parent")
    name = request.POST.get("name", "")
    try:
        entry = services.create_catalog_entry(
            actor=request.user,
            name=name,
            parent_id=parent_id,
            queue_id=posted_queue(request.POST) if parent_id else None,
        )
    except ServiceError as exc:
        return _failed(request, parent_id, "add", parent_id, exc, {"name": name})
    return _done(request, _selection_of(entry))


def _entry_action(request, entry_id: int, kind: str, **changes):
    _require_manager(request)
    try:
        entry = _entry(entry_id)
    except NotFound:
        return _render(request, posted_id(request.POST, "selected"))
    try:
        services.update_catalog_entry(actor=request.user, entry_id=entry.pk, **changes)
    except ServiceError as exc:
        return _failed(request, _selection_of(entry), kind, entry.pk, exc, changes)
    return _done(request, _selection_of(entry))


@login_required
@require_POST
def entry_rename(request, entry_id: int):
    return _entry_action(request, entry_id, "rename", name=request.POST.get("name", ""))


@login_required
@require_POST
def entry_rebind(request, entry_id: int):
    return _entry_action(request, entry_id, "rebind", queue_id=posted_queue(request.POST))


@login_required
@require_POST
def entry_retire(request, entry_id: int):
    retired = request.POST.get("retired") != "0"
    return _entry_action(request, entry_id, "retire", is_retired=retired)


@login_required
@require_POST
def entry_move(request, entry_id: int):
    _require_manager(request)
    try:
        entry = _entry(entry_id)
        services.move_catalog_entry(
            actor=request.user, entry_id=entry.pk, direction=request.POST.get("direction", "")
        )
    except NotFound:
        return _render(request, posted_id(request.POST, "selected"))
    except ServiceError as exc:
        return _failed(request, _selection_of(entry), "move", entry.pk, exc)
    return _done(request, _selection_of(entry))
