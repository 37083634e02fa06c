"""Uploads are cut off at the size limit while they stream in: the rest of the body is not read,
the answer is 413 with the reason, and nothing is stored (no file, no comment, no ticket)."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test.client import BOUNDARY, MULTIPART_CONTENT, RequestFactory, encode_multipart
from django.urls import reverse
from rest_framework.authtoken.models import Token

from andon.tickets.models import Attachment, Comment, Ticket
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.web.helpers import htmx, login

LIMIT = 200_000


@pytest.fixture
def small_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = LIMIT
    settings.ANDON_UPLOAD_MAX_BYTES = 20 * LIMIT
    return LIMIT


@pytest.fixture
def ticket(db, queue, handlers, entry, requester):
    return factories.make_ticket(actor=requester, entry=entry)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class CountingInput(io.BytesIO):
    """The request body as the server would hand it over, counting what the app reads."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.read_bytes += len(line)
        return line


def run_wsgi(path: str, body: bytes, *, token: str, content_length: int | None = None):
    """One request through the whole WSGI stack (all middleware), as gunicorn would run it."""
    stream = CountingInput(body)
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body) if content_length is None else content_length),
        HTTP_AUTHORIZATION=f"Token {token}",
        **{"wsgi.input": stream},
    )
    status_headers = {}

    def start_response(status, headers, exc_info=None):
        status_headers["status"] = int(status.split()[0])

    # As Django's test client does: the request's end must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        content = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status_headers["status"], content, stream


def test_reading_stops_at_the_limit(ticket, requester, small_limit, settings):
    token = Token.objects.create(user=requester).key
    big = b"x" * (10 * small_limit)
    body = encode_multipart(
        BOUNDARY, {"body": "日志见附件", "attachments": [SimpleUploadedFile("huge.log", big)]}
    )
    status, content, stream = run_wsgi(f"/api/v1/tickets/{ticket.pk}/comments/", body, token=token)
    assert status == 413, content
    assert "huge.log" in content.decode()
    # Read up to the limit plus one chunk (64 KiB) of the parser, not the 2 MB body.
    assert stream.read_bytes < small_limit + 2 * 64 * 1024 < len(body)
    assert not Comment.objects.exists() and not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_a_declared_length_over_the_total_limit_is_refused_unread(
    ticket, requester, small_limit, settings
):
    token = Token.objects.create(user=requester).key
    body = encode_multipart(BOUNDARY, {"body": "x"})
    status, content, stream = run_wsgi(
        f"/api/v1/tickets/{ticket.pk}/comments/",
        body,
        token=token,
        content_length=settings.ANDON_UPLOAD_MAX_BYTES + 1,
    )
    assert status == 413 and stream.read_bytes == 0
    assert not Comment.objects.exists()


def test_api_answers_413_in_the_error_shape(ticket, requester, small_limit, settings):
    upload = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * small_limit)
    response = client_for(requester).post(
        f"/api/v1/tickets/{ticket.pk}/comments/",
        {"body": "截图", "attachments": [upload]},
        format="multipart",
    )
    body = assert_error(response, 413, "too_large", field="attachments")
    assert "big.png" in body["detail"] and "MB" in body["detail"]
    assert not Comment.objects.exists() and stored_files(settings) == []
    # Just under the limit goes through.
    fits = SimpleUploadedFile("fits.png", b"0" * small_limit)
    ok = client_for(requester).post(
        f"/api/v1/tickets/{ticket.pk}/comments/",
        {"body": "截图", "attachments": [fits]},
        format="multipart",
    )
    assert ok.status_code == 201, ok.content


def test_htmx_comment_gets_the_reason_for_a_toast(client, ticket, requester, small_limit):
    login(client, requester)
    upload = SimpleUploadedFile("大文件.log", b"0" * (small_limit + 1))
    response = htmx(
        client,
        reverse("tickets:action", args=[ticket.pk, "comment"]),
        {"body": "附件", "attachments": upload},
    )
    assert response.status_code == 413
    from urllib.parse import unquote

    assert "大文件.log" in unquote(response["X-Andon-Error"])
    assert ticket.comments.count() == 0


def test_filing_form_gets_a_page_with_a_way_back(client, entry, requester, small_limit):
    login(client, requester)
    count = Ticket.objects.count()
    upload = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * small_limit)
    response = client.post(
        reverse("tickets:create"),
        {"title": "扫描件", "catalog_entry": entry.pk, "attachments": upload},
        HTTP_REFERER="http://testserver/tickets/new/",
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "scan.pdf" in html and 'href="http://testserver/tickets/new/"' in html
    assert Ticket.objects.count() == count
