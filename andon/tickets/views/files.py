"""Files on the ticket page: uploading on their own, and downloading."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from andon.core.errors import ServiceError
from andon.core.views import is_htmx
from andon.tickets import services
from andon.tickets.forms import CommentForm
from andon.tickets.selectors import get_visible_ticket, ticket_attachments
from andon.tickets.views.page import workspace_context


@login_required
@require_POST
def ticket_attach(request, pk: int):
    """Attachments added on their own (not with a comment): each one is recorded in the log."""
    ticket = get_visible_ticket(request.user, pk)
    form = CommentForm(data={}, files=request.FILES)
    form.is_valid()
    uploads = form.cleaned_data.get("attachments") or []
    try:
        if not uploads:
            raise ServiceError(
                _("请选择要上传的文件"), errors={"attachments": [_("请选择要上传的文件")]}
            )
        with transaction.atomic():
            for upload in uploads:
                services.add_attachment(ticket_id=pk, actor=request.user, upload=upload)
    except ServiceError as exc:
        if is_htmx(request):
            response = render(
                request,
                "tickets/_attach_form.html",
                {"ticket": ticket, "attach_error": exc.detail},
                status=exc.status_code,
            )
            response["HX-Retarget"] = "#attach-form"
            response["HX-Reswap"] = "outerHTML"
            return response
        messages.error(request, exc.detail)
        return redirect("tickets:detail", pk=pk)
    ticket = get_visible_ticket(request.user, pk)
    message = _("已上传 %s 个附件") % len(uploads)
    if is_htmx(request):
        return render(
            request, "tickets/_workspace.html", workspace_context(request, ticket, flash=message)
        )
    messages.success(request, message)
    return redirect("tickets:detail", pk=pk)


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_id: int):
    ticket = get_visible_ticket(request.user, pk)
    # Files posted with an internal comment exist only for the staff side.
    attachment = ticket_attachments(request.user, ticket).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # The type comes from the stored extension (allow-listed), never from the uploader's header,
    # and the file is always a download: an uploaded file is never rendered as a page.
    content_type = mimetypes.guess_type(f"x{attachment.extension}")[0] or "application/octet-stream"
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=content_type
    )
