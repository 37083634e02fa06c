"""The ticket page's people panel (collaborators 卷入, watching 关注, copies 抄送) and its edit form
(修改). Thin like the other ticket views: reads through the selectors, writes through the
services; a service error is shown in the panel or form that caused it, with its status."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from andon.catalog.models import CatalogEntry
from andon.core.errors import NotFound, ServiceError
from andon.core.views import is_htmx
from andon.customers.selectors import can_read as can_read_customers
from andon.customers.selectors import contact_list
from andon.fields.forms import PREFIX, filing_context, live_entry, posted_values
from andon.fields.models import FieldType
from andon.queues.models import Queue
from andon.tickets import policies, selectors, services, workflow
from andon.tickets.models import Priority, Ticket
from andon.tickets.services.collaboration import OPEN_TO_PEOPLE
from andon.tickets.views.people_api import contact_copy

PEOPLE_CHOICES_MAX = 500


# --- what the page shows ------------------------------------------------------------------------


def people_context(user, ticket: Ticket, *, error: str = "") -> dict:
    """The people panel of the ticket page."""
    collaborators = list(selectors.ticket_collaborators(ticket))
    copies = list(selectors.ticket_carbon_copies(ticket))
    open_to_people = ticket.status in OPEN_TO_PEOPLE
    manage_collaborators = open_to_people and policies.can_manage_collaborators(user, ticket)
    manage_cc = open_to_people and policies.can_manage_cc(user, ticket)
    people = []
    if manage_collaborators or manage_cc:
        people = list(
            get_user_model()
            .objects.filter(is_active=True, portal_account__isnull=True)
            .exclude(pk__in={ticket.requester_id, ticket.assignee_id} - {None})
            .order_by("display_name", "username")
            .only("pk", "display_name", "username")[:PEOPLE_CHOICES_MAX]
        )
    contacts = []
    if manage_cc and can_read_customers(user):
        contacts = list(contact_list(user=user).exclude(email="").order_by("name")[:200])
    watching, watcher_count = selectors.watch_state(user, ticket)
    return {
        "collaborators": collaborators,
        "carbon_copies": copies,
        "watching": watching,
        "watcher_count": watcher_count,
        "can_manage_collaborators": manage_collaborators,
        "can_manage_cc": manage_cc,
        "is_personal_collaborator": any(c.user_id == user.pk for c in collaborators),
        "own_cc": next((c for c in copies if c.user_id == user.pk), None),
        "people_choices": people,
        "queue_choices": (
            list(Queue.objects.filter(is_enabled=True).exclude(pk=ticket.queue_id).order_by("id"))
            if manage_collaborators
            else []
        ),
        "contact_choices": contacts,
        "people_error": error,
    }


def edit_context(user, ticket: Ticket, *, entry=None, values=None, errors=None, error="") -> dict:
    """The edit form: the ticket's values (or what was posted), the catalog entries it may move
    to, and the custom fields of the chosen entry (attachments are changed by uploading)."""
    entry = entry or ticket.catalog_entry
    values = values if values is not None else dict(ticket.custom_fields or {})
    fields = filing_context(entry, values or {"": None}, errors or {})
    fields["custom_field_rows"] = [
        row for row in fields["custom_field_rows"] if row.definition.type != FieldType.ATTACHMENT
    ]
    may_move = policies.can_work(user, ticket)
    entries = []
    if may_move:
        entries = list(
            CatalogEntry.objects.filter(
                parent__isnull=False, is_retired=False, parent__is_retired=False
            )
            .select_related("parent", "queue")
            .order_by("parent__order", "parent_id", "order", "id")
        )
    return {
        "edit_entry": entry,
        "edit_entries": entries,
        "edit_may_move": may_move,
        "edit_priorities": Priority.choices,
        "edit_error": error,
        **fields,
    }


# --- the people panel ----------------------------------------------------------------------------

PEOPLE_MESSAGES = {
    "add-collaborator": gettext_lazy("已邀请协作人"),
    "remove-collaborator": gettext_lazy("已移除协作人"),
    "leave": gettext_lazy("你已退出协作"),
    "watch": gettext_lazy("已关注，工单有变化时会通知你"),
    "unwatch": gettext_lazy("已取消关注"),
    "add-cc": gettext_lazy("已添加抄送"),
    "remove-cc": gettext_lazy("已移除抄送"),
}


def _run_people(op: str, request, ticket: Ticket) -> None:
    post, user = request.POST, request.user
    if op == "add-collaborator":
        services.add_collaborator(
            ticket_id=ticket.pk,
            actor=user,
            user_id=post.get("user") or None,
            queue_id=post.get("queue") or None,
            note=post.get("note", ""),
        )
    elif op == "remove-collaborator":
        services.remove_collaborator(
            ticket_id=ticket.pk, actor=user, collaborator_id=post.get("id")
        )
    elif op == "leave":
        services.leave_ticket(ticket_id=ticket.pk, actor=user)
    elif op == "watch":
        services.watch_ticket(ticket_id=ticket.pk, actor=user)
    elif op == "unwatch":
        services.unwatch_ticket(ticket_id=ticket.pk, actor=user)
    elif op == "add-cc":
        if post.get("contact"):
            kwargs = contact_copy(user, post.get("contact"))
        else:
            kwargs = {
                "user_id": post.get("user") or None,
                "email": post.get("email", ""),
                "name": post.get("name", ""),
            }
        services.add_carbon_copy(ticket_id=ticket.pk, actor=user, **kwargs)
    elif op == "remove-cc":
        services.remove_carbon_copy(ticket_id=ticket.pk, actor=user, cc_id=post.get("id"))


def _after_change(request, pk: int, message: str) -> HttpResponse:
    from andon.tickets.views.page import workspace_context

    try:
        ticket = selectors.get_visible_ticket(request.user, pk)
    except NotFound:
        # e.g. a collaborator who left a ticket they could see only as one.
        messages.success(request, message)
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = "/tickets/"
            return response
        return redirect("tickets:list")
    if is_htmx(request):
        return render(
            request,
            "tickets/_workspace.html",
            workspace_context(request, ticket, flash=message),
        )
    messages.success(request, message)
    return redirect("tickets:detail", pk=pk)


@login_required
@require_POST
def ticket_people(request, pk: int, op: str):
    from andon.tickets.views.page import workspace_context

    if op not in PEOPLE_MESSAGES:
        raise Http404
    ticket = selectors.get_visible_ticket(request.user, pk)
    try:
        _run_people(op, request, ticket)
    except ServiceError as exc:
        ticket = selectors.get_visible_ticket(request.user, pk)
        context = workspace_context(request, ticket)
        context.update(people_context(request.user, ticket, error=exc.detail))
        if is_htmx(request):
            response = render(
                request, "tickets/partials/people.html", context, status=exc.status_code
            )
            response["HX-Retarget"] = "#ticket-people"
            response["HX-Reswap"] = "outerHTML"
            return response
        return render(request, "tickets/detail.html", context, status=exc.status_code)
    return _after_change(request, pk, str(PEOPLE_MESSAGES[op]))


# --- the edit form ---------------------------------------------------------------------------


def _posted_custom_fields(post, ticket: Ticket, entry) -> dict:
    """The custom fields the editor changed: each input of the chosen entry compared with the
    stored value, so an untouched field is never re-validated (nor sent as a change)."""
    rows = filing_context(entry, {}, {})["custom_field_rows"]
    changes: dict = {}
    stored = ticket.custom_fields or {}
    for row in rows:
        definition = row.definition
        if definition.type == FieldType.ATTACHMENT:
            continue
        items = [v.strip() for v in post.getlist(PREFIX + definition.key) if v.strip()]
        value = items if definition.type == FieldType.MULTISELECT else (items[0] if items else "")
        old = stored.get(definition.key)
        old_text = [str(v) for v in old] if isinstance(old, list) else ("" if old is None else old)
        if isinstance(old_text, bool | int | float):
            old_text = str(old_text).lower() if isinstance(old_text, bool) else str(old_text)
        if value != old_text and not (value in ("", []) and old in (None, "", [])):
            changes[definition.key] = value
    return changes


def _edit_response(request, ticket, context, status: int) -> HttpResponse:
    response = render(request, "tickets/partials/edit_form.html", context, status=status)
    if status >= 400 and is_htmx(request):
        response["HX-Retarget"] = "#ticket-edit-form"
        response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request, pk: int):
    from andon.tickets.views.page import workspace_context

    ticket = selectors.get_visible_ticket(request.user, pk)
    if not workflow.allows("edit", request.user, ticket):
        raise DjangoPermissionDenied
    if request.method == "GET":
        # The form for another entry (the catalog select reloads the custom fields).
        entry = live_entry(request.GET.get("catalog_entry")) or ticket.catalog_entry
        posted = request.GET if "title" in request.GET else None
        values = dict(ticket.custom_fields or {})
        if posted is not None:
            values.update(posted_values(posted, {}))
        context = {
            "ticket": ticket,
            "edit_posted": posted,
            **edit_context(request.user, ticket, entry=entry, values=values),
        }
        return render(request, "tickets/partials/edit_form.html", context)
    post = request.POST
    entry = ticket.catalog_entry
    changes = {
        "title": post.get("title", ""),
        "description": post.get("description", ""),
        "priority": post.get("priority", ""),
    }
    chosen = post.get("catalog_entry", "")
    moving = chosen and chosen != str(ticket.catalog_entry_id)
    if moving and policies.can_work(request.user, ticket):
        changes["catalog_entry"] = chosen
        entry = live_entry(chosen) or entry
    custom = _posted_custom_fields(post, ticket, entry)
    if custom or "catalog_entry" in changes:
        changes["custom_fields"] = custom
    try:
        services.update_ticket(
            ticket_id=ticket.pk, actor=request.user, version=post.get("version"), **changes
        )
    except ServiceError as exc:
        field_errors = {
            k.split(".", 1)[1]: v for k, v in exc.errors.items() if k.startswith(PREFIX)
        }
        values = dict(ticket.custom_fields or {})
        values.update(custom)
        context = {
            "ticket": ticket,
            "edit_posted": post,
            **edit_context(
                request.user,
                ticket,
                entry=entry,
                values=values,
                errors=field_errors,
                error=exc.detail,
            ),
        }
        if not is_htmx(request):
            page = workspace_context(request, ticket)
            page.update(context)
            page["edit_open"] = True
            return render(request, "tickets/detail.html", page, status=exc.status_code)
        return _edit_response(request, ticket, context, exc.status_code)
    return _after_change(request, pk, _("修改已保存"))
