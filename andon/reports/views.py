"""The 报表 page and its exports. Thin: the filters are read by ReportFilterForm, the numbers come
from reports.selectors, and a filter change swaps only the report body (htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from andon.accounts.permissions import has_perm
from andon.core.views import htmx_target
from andon.csat import selectors as csat_selectors
from andon.reports import exports, selectors
from andon.reports.forms import FILTER_FIELDS, ReportFilterForm
from andon.reports.scope import report_scope
from andon.tickets.models import Priority

EXPORT_KINDS = ("view", "tickets")
EXPORT_FORMATS = ("csv", "xlsx")


def _scope(request):
    if not has_perm(request.user, "reports.view"):
        raise PermissionDenied
    return report_scope(request.user)


def _chart_data(report: dict) -> dict:
    """What the charts draw; the same numbers are in the tables beside them."""
    return {
        "series": report["series"],
        "by_queue": [_chart_row(r) for r in report["by_queue"]],
        "by_priority": [_chart_row(r) for r in report["by_priority"]],
        "by_handler": [_chart_row(r) for r in report["by_handler"]],
        "top_catalog": report["top_catalog"],
        "durations": {
            key: report["summary"][key]
            for key in (
                "mean_response_seconds",
                "p50_response_seconds",
                "p90_response_seconds",
                "mean_resolution_seconds",
                "p50_resolution_seconds",
                "p90_resolution_seconds",
            )
        },
    }


def _chart_row(row: dict) -> dict:
    return {
        key: row[key]
        for key in (
            "name",
            "created",
            "resolved",
            "backlog",
            "urges",
            "response_met_rate",
            "resolution_met_rate",
        )
    }


@login_required
@require_GET
def index(request):
    scope = _scope(request)
    form = ReportFilterForm(request.GET or None, scope=scope)
    report = csat = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        if not form.is_bound:
            form = ReportFilterForm({}, scope=scope)
            form.is_valid()
        report = selectors.full_report(scope, form.filters(), hours=form.at_risk_hours)
        csat = csat_selectors.csat_report(scope, form.filters())
    query = request.GET.copy()
    for key in list(query):
        if key not in (*FILTER_FIELDS, "hours"):
            del query[key]
    context = {
        "form": form,
        "report": report,
        "csat": csat,
        "chart_data": _chart_data(report) if report else None,
        "query": query.urlencode(),
        "values": {
            name: (form.cleaned_data.get(name) if form.is_valid() else form.data.get(name))
            for name in ("from", "to")
        },
        "priorities": Priority.choices,
    }
    if htmx_target(request) == "report-body":
        return render(request, "reports/_body.html", context, status=status)
    context.update(
        {
            "queues": form.queue_choices(),
            "catalog_entries": form.catalog_choices(),
            "handlers": form.handler_choices(),
        }
    )
    return render(request, "reports/index.html", context, status=status)


@login_required
@require_GET
def export(request):
    scope = _scope(request)
    kind = request.GET.get("kind", "view")
    fmt = request.GET.get("format", "csv")
    form = ReportFilterForm(request.GET, scope=scope)
    if kind not in EXPORT_KINDS or fmt not in EXPORT_FORMATS or not form.is_valid():
        context = {
            "form": form,
            "bad_export": kind not in EXPORT_KINDS or fmt not in EXPORT_FORMATS,
        }
        return render(request, "reports/export_error.html", context, status=400)
    return exports.export_response(kind, fmt, scope, form)
