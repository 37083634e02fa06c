"""Field templates pages (配置 › 字段模板) and the custom fields block of the filing form. Thin:
reads through selectors, writes through `andon.fields.services`."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from andon.accounts.permissions import has_perm
from andon.catalog.models import CatalogEntry
from andon.core.errors import ServiceError
from andon.core.views import is_htmx
from andon.fields import selectors, services
from andon.fields.forms import FieldDefinitionForm, filing_context, live_entry
from andon.fields.models import CHOICE_TYPES, FieldDefinition, FieldType
from andon.tickets.forms import apply_service_errors


def _require_manage(request) -> None:
    if not has_perm(request.user, "fields.manage"):
        raise PermissionDenied


def _catalog_tree() -> list[dict]:
    """Every catalog entry (retired ones marked) as level-1 rows with their level-2 children."""
    roots: dict[int, dict] = {}
    children = []
    for entry in CatalogEntry.objects.order_by("order", "id"):
        if entry.parent_id is None:
            roots[entry.pk] = {"entry": entry, "children": []}
        else:
            children.append(entry)
    for entry in children:
        if entry.parent_id in roots:
            entry.parent = roots[entry.parent_id]["entry"]
            roots[entry.parent_id]["children"].append(entry)
    return list(roots.values())


def _scope_ids(request) -> list[int]:
    ids = []
    for value in request.GET.getlist("scope"):
        if value.isdigit() and len(value) < 19:
            ids.append(int(value))
    return ids


def _page_url(scope_ids) -> str:
    url = reverse("config:fields")
    return url + ("?" + "&".join(f"scope={i}" for i in scope_ids) if scope_ids else "")


# --- the filing form's custom fields (tickets/new and the admin's preview) ----------------------


@login_required
@require_GET
def filing_form(request):
    """The custom fields of a level-2 entry, as form inputs: swapped into the filing form by htmx
    as soon as the entry is chosen (and shown as the preview on the admin page)."""
    if not (has_perm(request.user, "tickets.create") or has_perm(request.user, "fields.manage")):
        raise PermissionDenied
    entry = live_entry(request.GET.get("entry"))
    context = filing_context(entry)
    context["preview"] = request.GET.get("preview") == "1"
    template = "tickets/_custom_fields_form.html"
    if context["preview"]:
        template = "config/fields/_preview.html"
    return render(request, template, context)


# --- configuration pages --------------------------------------------------------------------


@login_required
@require_GET
def field_index(request):
    _require_manage(request)
    scope_ids = _scope_ids(request)
    fields = list(selectors.field_list(scope_ids=scope_ids or None))
    tree = _catalog_tree()
    leaves = [child for root in tree for child in root["children"] if not child.is_retired]
    active = [f for f in fields if f.is_active]
    ids = [f.pk for f in active]
    moves = []
    for index, field in enumerate(active):
        up = down = None
        if index > 0:
            up = ids[: index - 1] + [ids[index], ids[index - 1]] + ids[index + 1 :]
        if index < len(ids) - 1:
            down = ids[:index] + [ids[index + 1], ids[index]] + ids[index + 2 :]
        moves.append({"field": field, "up": up, "down": down})
    context = {
        "active_fields": moves,
        "retired_fields": [f for f in fields if not f.is_active],
        "tree": tree,
        "scope_ids": scope_ids,
        "scope_query": "&".join(f"scope={i}" for i in scope_ids),
        "preview_entries": leaves,
        "type_labels": dict(FieldType.choices),
    }
    return render(request, "config/fields/index.html", context)


def _form_response(request, form, *, status=200):
    context = {
        "form": form,
        "instance": form.instance,
        "tree": _catalog_tree(),
        "types": FieldType.choices,
        "choice_types": [str(t) for t in CHOICE_TYPES],
        "option_list": form.option_list(),
        "option_list_json": json.dumps(form.option_list() or [""], ensure_ascii=False),
        "scope_selected": form.scope_ids(),
        "back": request.GET.get("back") or request.POST.get("back") or "",
    }
    if is_htmx(request):
        response = render(request, "config/fields/_form.html", context, status=status)
        if status >= 400:
            response["HX-Retarget"] = "#field-dialog-content"
            response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "config/fields/form_page.html", context, status=status)


def _saved(request, back: str, message: str):
    messages.success(request, message)
    url = back if back.startswith(reverse("config:fields")) else reverse("config:fields")
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def field_create(request):
    _require_manage(request)
    if request.method == "POST":
        form = FieldDefinitionForm(request.POST)
        try:
            field = services.create_field(actor=request.user, data=form.service_data())
        except ServiceError as exc:
            form.is_valid()
            apply_service_errors(form, exc)
            return _form_response(request, form, status=exc.status_code)
        return _saved(request, request.POST.get("back", ""), _("已添加字段「%s」") % field.name)
    form = FieldDefinitionForm(initial={"scope": _scope_ids(request), "required": "false"})
    return _form_response(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def field_edit(request, pk: int):
    _require_manage(request)
    field = get_object_or_404(FieldDefinition.objects.prefetch_related("scope"), pk=pk)
    if request.method == "POST":
        form = FieldDefinitionForm(request.POST, instance=field)
        try:
            field = services.update_field(
                actor=request.user, field_id=field.pk, data=form.service_data()
            )
        except ServiceError as exc:
            form.is_valid()
            apply_service_errors(form, exc)
            return _form_response(request, form, status=exc.status_code)
        return _saved(request, request.POST.get("back", ""), _("已保存字段「%s」") % field.name)
    return _form_response(request, FieldDefinitionForm(instance=field))


def _set_active(request, pk: int, active: bool):
    _require_manage(request)
    field = get_object_or_404(FieldDefinition, pk=pk)
    services.set_field_active(actor=request.user, field_id=field.pk, active=active)
    message = _("已恢复字段「%s」") if active else _("已停用字段「%s」，已有工单的取值保持不变")
    return _saved(request, request.POST.get("back", ""), message % field.name)


@login_required
@require_POST
def field_retire(request, pk: int):
    return _set_active(request, pk, False)


@login_required
@require_POST
def field_restore(request, pk: int):
    return _set_active(request, pk, True)


@login_required
@require_POST
def field_reorder(request):
    """Save a new order: `order=<id>&order=<id>…` (a form) or {"order": [ids]} (the drag JS)."""
    _require_manage(request)
    ids = request.POST.getlist("order")
    if not ids and request.content_type == "application/json":
        try:
            ids = json.loads(request.body or b"{}").get("order", [])
        except (ValueError, AttributeError):
            ids = None
    try:
        services.reorder_fields(actor=request.user, field_ids=ids)
    except ServiceError as exc:
        if is_htmx(request) or request.content_type == "application/json":
            return HttpResponse(exc.detail, status=exc.status_code, content_type="text/plain")
        messages.error(request, exc.detail)
        return redirect(_page_url(_scope_ids(request)))
    if is_htmx(request) or request.content_type == "application/json":
        return HttpResponse(status=204)
    messages.success(request, _("字段顺序已保存"))
    back = request.POST.get("back", "")
    return redirect(back if back.startswith(reverse("config:fields")) else reverse("config:fields"))
