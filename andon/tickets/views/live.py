"""The live ticket page (htmx-era polling, no socket): the page asks `live/?v=<version>` every
few seconds. Unchanged, or changed only by this person (their own htmx action already redrew
the page): 204 with the current version. Changed by someone else: 200 with the workspace, which
andon/live.js swaps in while keeping any comment or note being typed (text, files and focus)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from andon.tickets.live import changed_by_others, ticket_version
from andon.tickets.selectors import get_visible_ticket
from andon.tickets.views.page import workspace_context

VERSION_HEADER = "X-Ticket-Version"


def _since(raw) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@login_required
@require_GET
def ticket_live(request, pk: int):
    ticket = get_visible_ticket(request.user, pk)
    version = ticket_version(request.user, ticket)
    since = _since(request.GET.get("v"))
    if since is not None and (
        version <= since or not changed_by_others(request.user, ticket, since)
    ):
        response = HttpResponse(status=204)
    else:
        response = render(request, "tickets/_workspace.html", workspace_context(request, ticket))
    response[VERSION_HEADER] = str(version)
    response["Cache-Control"] = "no-store"
    return response
