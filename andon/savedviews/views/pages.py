"""Saved-view endpoints of the ticket list page (htmx): save the current query as a view,
update or delete a view, choose the default, and the tab counts the list polls for.

Failures answer 400/403/404 with `HX-Retarget` at the dialog, which shows the message inline
(see app.js); success answers `HX-Redirect` to the list showing the view."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from andon.core.errors import ServiceError
from andon.savedviews import services
from andon.savedviews.forms import COLUMNS, SavedViewForm
from andon.savedviews.selectors import get_visible_view
from andon.savedviews.views.listing import view_tabs
from andon.tickets.forms import apply_service_errors
from andon.tickets.views.listing import _tabs_for, tab_counts


def _list_url(view_id: int | None = None) -> str:
    url = reverse("tickets:list")
    return f"{url}?view={view_id}" if view_id else f"{url}?tab=all"


def _redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _dialog(request, form, *, view=None, status=400) -> HttpResponse:
    response = render(
        request,
        "savedviews/_dialog_body.html",
        {
            "save_form": form,
            "editing": view,
            "can_share": services.can_share(request.user),
            "column_choices": list(COLUMNS.items()),
            "chosen_columns": request.POST.getlist("columns"),
        },
        status=status,
    )
    response["HX-Retarget"] = "#saved-view-edit-body" if view else "#saved-view-new-body"
    response["HX-Reswap"] = "innerHTML"
    return response


def _values(form) -> dict:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "shared": data["shared"],
        "tab": data["tab"],
        "filters": data["filters"],
        "columns": data["columns"],
        "sort": data["sort"],
    }


@login_required
@require_POST
def create(request):
    form = SavedViewForm(request.POST, filters_source=request.POST)
    if not form.is_valid():
        return _dialog(request, form)
    try:
        view = services.create_view(
            actor=request.user, make_default=form.cleaned_data["make_default"], **_values(form)
        )
    except ServiceError as error:
        apply_service_errors(form, error)
        return _dialog(request, form, status=error.status_code)
    return _redirect(_list_url(view.pk))


@login_required
@require_POST
def update(request, pk: int):
    view = get_visible_view(request.user, pk)
    form = SavedViewForm(request.POST, filters_source=request.POST)
    if not form.is_valid():
        return _dialog(request, form, view=view)
    try:
        services.update_view(actor=request.user, view_id=view.pk, **_values(form))
        if form.cleaned_data["make_default"]:
            services.set_default_view(actor=request.user, view_id=view.pk)
    except ServiceError as error:
        apply_service_errors(form, error)
        return _dialog(request, form, view=view, status=error.status_code)
    return _redirect(_list_url(view.pk))


@login_required
@require_POST
def delete(request, pk: int):
    try:
        services.delete_view(actor=request.user, view_id=pk)
    except ServiceError as error:
        return _refused(error)
    return _redirect(_list_url())


def _refused(error: ServiceError) -> HttpResponse:
    response = HttpResponse(error.detail, status=error.status_code, content_type="text/plain")
    response["X-Andon-Error"] = quote(error.detail)
    return response


@login_required
@require_POST
def set_default(request):
    raw = (request.POST.get("view") or "").strip()
    view_id = None
    if raw:
        view_id = get_visible_view(request.user, raw).pk
    services.set_default_view(actor=request.user, view_id=view_id)
    return _redirect(_list_url(view_id))


@login_required
@require_GET
def counts(request):
    """The badges of every tab, swapped in out of band by the list's poller."""
    user = request.user
    tab_keys = [tab.key for tab in _tabs_for(user)]
    return render(
        request,
        "savedviews/_counts.html",
        {"counts": tab_counts(user, tab_keys), "saved_views": view_tabs(user, None)},
    )
