"""Filing a ticket from the desk (the web origin of `create_ticket`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.fields.forms import filing_context, live_entry, split_field_errors
from andon.fields.forms import posted_values as posted_custom_fields
from andon.tickets import services
from andon.tickets.forms import TicketCreateForm, apply_service_errors, catalog_tree

# --- create ---------------------------------------------------------------------------------


@login_required
def ticket_create(request):
    if not has_perm(request.user, "tickets.create"):
        raise PermissionDenied
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    status = 200
    field_values, field_errors = {}, {}
    if request.method == "POST":
        field_values = posted_custom_fields(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.create_ticket(
                    actor=request.user,
                    title=data["title"],
                    catalog_entry_id=data["catalog_entry"] or None,
                    description=data["description"],
                    priority=data["priority"] or None,
                    attachments=data["attachments"],
                    custom_fields=field_values,
                    origin={"kind": "web"},
                )
            except ServiceError as exc:
                rest, field_errors = split_field_errors(exc)
                if rest.errors or not field_errors:
                    apply_service_errors(form, rest)
                status = exc.status_code
            else:
                messages.success(request, _("工单 %s 已提交") % ticket.number)
                return redirect("tickets:detail", pk=ticket.pk)
        else:
            status = 400
    context = {
        "form": form,
        "catalog": catalog_tree(),
        "selected_parent": form["catalog_parent"].value() or "",
        "selected_entry": form["catalog_entry"].value() or "",
        **filing_context(
            live_entry(form["catalog_entry"].value()),
            {k: v for k, v in field_values.items() if isinstance(v, str | list) and v},
            field_errors,
        ),
    }
    return render(request, "tickets/create.html", context, status=status)
