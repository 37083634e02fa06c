"""Bulk actions from the ticket list: the list's form posts the chosen tickets (or "all that
match", with the list's query string), the job runs inline or in the worker, and the job page
shows progress (htmx polling of the job row) and then who was done and who was refused, and why."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from andon.bulk import selectors, services
from andon.bulk.models import JobState
from andon.core.errors import ServiceError
from andon.tickets.forms import TicketListFilterForm
from andon.tickets.selectors import list_filter_choices, tab_tickets
from andon.tickets.views.listing import filter_tickets

QUERY_MAX = 2000


def _matching_ids(request) -> list[int]:
    """Every ticket the list shows for the posted query string (tab and filters), newest first,
    one more than allowed so the service can refuse a selection that is too large."""
    params = QueryDict(request.POST.get("query", "")[:QUERY_MAX])
    tab = params.get("tab") or "all"
    if tab not in ("assigned", "pool", "created", "all"):
        tab = "all"
    queues, entries = list_filter_choices()
    form = TicketListFilterForm(params, queues=queues, catalog_entries=entries)
    listing = SimpleNamespace(GET=params, user=request.user)
    qs = filter_tickets(tab_tickets(request.user, tab), form.cleaned_or_empty(), listing)
    return list(qs.order_by("-id").values_list("pk", flat=True)[: services.MAX_TICKETS + 1])


def _back_to_list(request):
    query = request.POST.get("query", "")[:QUERY_MAX]
    return redirect(reverse("tickets:list") + (f"?{query}" if query else ""))


@login_required
@require_POST
def start(request):
    post = request.POST
    ids = _matching_ids(request) if post.get("select_all") == "1" else post.getlist("tickets")
    params = {
        "queue": post.get("queue") or None,
        "assignee": post.get("assignee") or None,
        "priority": post.get("priority") or None,
        "tags": post.get("tags", ""),
        "note": post.get("note", ""),
    }
    try:
        job = services.start_job(
            actor=request.user, action=post.get("action", ""), ticket_ids=ids, params=params
        )
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return _back_to_list(request)
    return redirect("bulk:job", pk=job.pk)


def _job_context(job) -> dict:
    rows = services.outcome_rows(job) if job.state == JobState.FINISHED else []
    return {
        "job": job,
        "refused": [row for row in rows if not row["ok"]],
        "done": [row for row in rows if row["ok"]],
    }


@login_required
@require_GET
def job_page(request, pk: int):
    job = selectors.get_own_job(request.user, pk)
    return render(request, "bulk/job.html", _job_context(job))


@login_required
@require_GET
def job_progress(request, pk: int):
    job = selectors.get_own_job(request.user, pk)
    return render(request, "bulk/_progress.html", _job_context(job))
