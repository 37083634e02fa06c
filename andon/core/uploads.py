"""Uploads are cut off at the size limit while they stream in.

Django would read a 2 GB multipart body to the end (to a temporary file) before any view could
look at `upload.size`. The handler below counts the bytes of each file as they arrive and stops
the parse as soon as one file passes `ANDON_ATTACHMENT_MAX_BYTES` (the largest file any form
takes): nothing more is read from the client, the partial temporary file is deleted, and the
middleware answers 413 with the reason before any view runs — so no ticket or comment is created
without the attachment it was sent with. A body whose declared length is above the total limit is
refused before a byte of it is read.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

MB = 1024 * 1024


class UploadTooLarge(MultiPartParserError):
    """A multipart body over the limits; the message says which file and what limit."""


def file_too_large_message(name: str) -> str:
    return _("附件「%(name)s」超过 %(mb)s MB") % {
        "name": name,
        "mb": settings.ATTACHMENT_MAX_BYTES // MB,
    }


def body_too_large_message() -> str:
    return _("上传内容超过 %(mb)s MB") % {"mb": settings.ANDON_UPLOAD_MAX_BYTES // MB}


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: passes chunks on until a file, or all files together,
    pass their limit, then ends the parse (for the API's PUT and PATCH too, which DRF parses)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.total = 0

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        if start + len(raw_data) > settings.ATTACHMENT_MAX_BYTES:
            self._refuse(file_too_large_message(self.file_name or ""))
        if self.total > settings.ANDON_UPLOAD_MAX_BYTES:
            self._refuse(body_too_large_message())
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the upload

    def _refuse(self, message: str):
        # The handlers after this one may hold the file written so far (a temporary file is
        # deleted when closed).
        for handler in self.request.upload_handlers if self.request else ():
            partial = getattr(handler, "file", None)
            if partial is not None and handler is not self:
                partial.close()
        raise UploadTooLarge(message)


def too_large_response(request, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "too_large", "detail": message, "errors": {"attachments": [message]}},
            status=413,
        )
    if request.headers.get("HX-Request"):
        # htmx shows it as a toast (andon/static/andon/app.js); headers are ASCII, hence quoted.
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        response["X-Andon-Error"] = quote(message)
        return response
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return render(
        request, "413.html", {"message": message, "back_url": referer if safe else ""}, status=413
    )


class UploadLimitMiddleware:
    """Parses multipart POST bodies here, through the size-limiting handler, so that an upload
    over the limit is answered 413 before any view sees the rest of the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type == "multipart/form-data":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.ANDON_UPLOAD_MAX_BYTES:
                return too_large_response(request, body_too_large_message())
            if request.method == "POST":
                try:
                    request.POST  # noqa: B018 - parses the body now, through the handlers
                except UploadTooLarge as exc:
                    return too_large_response(request, str(exc))
        return self.get_response(request)
