"""Every endpoint walked by every built-in role, anonymous, and a user with no role at all.

One row per endpoint (and ticket state where it matters). To cover a new endpoint, add a row;
to add a role, add a column to ROLES and a key to `expect(...)` defaults.

The ticket under test is filed by `requester` (an agent) and dispatched to `handler` (a member of
its queue). `agent` is another agent with no relation to it; `nobody` is signed in without roles.
"""

import dataclasses
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from andon.tickets import services
from andon.tickets.models import Status
from tests.api.conftest import client_for
from tests.api.matrix import ROLES, Row, area_modules, expect, signed_in, ticket_access

TICKET = "/api/v1/tickets/{ticket}/"

MATRIX: list[Row] = [
    # --- accounts
    Row(
        "token: own credentials (anonymous: unknown user)",
        "post",
        "/api/v1/auth/token/",
        expect(200, anonymous=400),
        body={"username": "{username}", "password": "pass-1234"},
    ),
    Row("token: mine", "get", "/api/v1/auth/token/", signed_in(200)),
    Row("token: revoke", "delete", "/api/v1/auth/token/", signed_in(204)),
    Row("me", "get", "/api/v1/me/", signed_in(200)),
    Row("users", "get", "/api/v1/users/", signed_in(200, nobody=403)),
    Row("departments", "get", "/api/v1/departments/", signed_in(200, nobody=403)),
    # --- configuration
    Row("queues: list", "get", "/api/v1/queues/", signed_in(200)),
    Row(
        "queues: create",
        "post",
        "/api/v1/queues/",
        signed_in(403, admin=201),
        body={"name": "新队列"},
    ),
    Row("queues: detail", "get", "/api/v1/queues/{queue}/", signed_in(200)),
    Row("catalog: list", "get", "/api/v1/catalog/", signed_in(200)),
    Row(
        "catalog: create",
        "post",
        "/api/v1/catalog/",
        signed_in(403, admin=201),
        body={"name": "新目录"},
    ),
    # --- tickets
    Row("tickets: list", "get", "/api/v1/tickets/", signed_in(200)),
    Row(
        "tickets: create",
        "post",
        "/api/v1/tickets/",
        signed_in(201, nobody=403, observer=403),
        body={"title": "新工单", "catalog_entry": "{entry}"},
    ),
    Row(
        "tickets: detail",
        "get",
        TICKET,
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "tickets: edit",
        "patch",
        TICKET,
        ticket_access(requester=200, handler=200, observer=403, admin=200),
        body={"title": "改个标题"},
    ),
    Row(
        "claim (assigned to handler)",
        "post",
        TICKET + "claim/",
        ticket_access(requester=403, handler=200, observer=403, admin=409),
    ),
    Row(
        "urge",
        "post",
        TICKET + "urge/",
        ticket_access(requester=200, handler=403, observer=403, admin=200),
    ),
    Row(
        "transfer",
        "post",
        TICKET + "transfer/",
        ticket_access(requester=403, handler=200, observer=403, admin=200),
        state=Status.PROCESSING,
        body={"queue": "{other_queue}"},
    ),
    Row(
        "need-info",
        "post",
        TICKET + "need-info/",
        ticket_access(requester=403, handler=200, observer=403, admin=200),
        state=Status.PROCESSING,
        body={"note": "请提供截图"},
    ),
    Row(
        "resume",
        "post",
        TICKET + "resume/",
        ticket_access(requester=200, handler=200, observer=403, admin=200),
        state=Status.NEED_INFO,
    ),
    Row(
        "resolve",
        "post",
        TICKET + "resolve/",
        ticket_access(requester=403, handler=200, observer=403, admin=200),
        state=Status.PROCESSING,
        body={"resolution": "已处理"},
    ),
    Row(
        "confirm",
        "post",
        TICKET + "confirm/",
        ticket_access(requester=200, handler=403, observer=403, admin=200),
        state=Status.TO_CONFIRM,
    ),
    Row(
        "reopen",
        "post",
        TICKET + "reopen/",
        ticket_access(requester=200, handler=200, observer=403, admin=200),
        state=Status.TO_CONFIRM,
        body={"reason": "还是不行"},
    ),
    Row(
        "close (done)",
        "post",
        TICKET + "close/",
        ticket_access(requester=200, handler=200, observer=403, admin=200),
        state=Status.DONE,
    ),
    Row(
        "close (still pending: only a manager)",
        "post",
        TICKET + "close/",
        ticket_access(requester=409, handler=409, observer=403, admin=200),
    ),
    Row(
        "cancel",
        "post",
        TICKET + "cancel/",
        ticket_access(requester=200, handler=403, observer=403, admin=200),
    ),
    Row(
        "comments: list",
        "get",
        TICKET + "comments/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "comments: post",
        "post",
        TICKET + "comments/",
        ticket_access(requester=201, handler=201, observer=403, admin=201),
        body={"body": "补充一句"},
    ),
    Row(
        "comments: post with a file",
        "post",
        TICKET + "comments/",
        ticket_access(requester=201, handler=201, observer=403, admin=201),
        body={"body": "附件", "attachments": "{file}"},
        multipart=True,
    ),
    Row(
        "events",
        "get",
        TICKET + "events/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "attachment download",
        "get",
        TICKET + "attachments/{attachment}/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    # --- OpenAPI (signed-in callers only)
    Row("schema", "get", "/api/schema/", signed_in(200)),
    Row("docs", "get", "/api/docs/", signed_in(200)),
]
AREAS = area_modules()
for _area in AREAS:
    MATRIX += _area.ROWS
# PUT takes the GET representation (whole or in part) exactly as PATCH does: the same rights.
PUT_TWINS = {
    "tickets: edit",
    "queues: edit",
    "catalog: edit",
    "fields: edit",
    "users: edit",
    "roles: edit",
}
MATRIX += [
    dataclasses.replace(row, name=f"{row.name} (PUT)", method="put")
    for row in MATRIX
    if row.name in PUT_TWINS
]
assert len([row for row in MATRIX if row.method == "put" and "(PUT)" in row.name]) == 6


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):  # an included module: walk into it
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), getattr(pattern, "name", None)


def test_matrix_covers_every_api_route():
    """A new endpoint must get a row here: every URL pattern under /api/ is exercised."""
    from django.urls import get_resolver

    api_patterns = next(
        p for p in get_resolver().url_patterns if str(p.pattern) == "api/"
    ).url_patterns
    # Compared by shape: a row names its ids after its area's refs ({import_job}), the URL
    # pattern after the view's argument (<int:job_id>).
    routes = {
        re.sub(r"<int:\w+?>", "{}", route)
        for route, name in _routes(api_patterns)
        if name not in ("api-not-found", "redoc")
    }
    covered = {re.sub(r"\{\w+\}", "{}", row.path.removeprefix("/api/")) for row in MATRIX}
    assert routes <= covered, routes - covered


def path_refs(world, user, *, state=Status.PENDING) -> dict:
    """The ids a matrix row's path template names: a fresh ticket in `state` with one
    attachment, the world's queues and entry, and each area's own references."""
    ticket = world.ticket(state)
    attachment = services.add_attachment(
        ticket_id=ticket.pk,
        actor=world.requester,
        upload=SimpleUploadedFile("note.txt", b"hello", content_type="text/plain"),
    )
    refs = {
        "ticket": ticket.pk,
        "queue": world.queue.pk,
        "other_queue": world.other_queue.pk,
        "entry": world.entry.pk,
        "attachment": attachment.pk,
        "username": user.username if user else "ghost",
    }
    for area in AREAS:
        if hasattr(area, "refs"):
            own = area.refs(world, ticket)
            # Two areas naming the same key would send one area's rows to the other's object,
            # which passes only while their ids happen to coincide.
            clash = refs.keys() & own.keys()
            assert not clash, (area.__name__, clash)
            refs.update(own)
    return refs


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.name)
def test_permission_matrix(world, row: Row, role: str):
    user = None if role == "anonymous" else getattr(world, role)
    refs = path_refs(world, user, state=row.state)
    path = row.path.format(**refs)
    body = None
    if row.body is not None:
        body = {}
        for key, value in row.body.items():
            if value == "{file}":
                body[key] = [SimpleUploadedFile("a.txt", b"x", content_type="text/plain")]
            elif isinstance(value, str) and value.startswith("{"):
                body[key] = (
                    str(refs[value.strip("{}")]) if row.multipart else refs[value.strip("{}")]
                )
            else:
                body[key] = value
    client = client_for(user)
    kwargs = {"format": "multipart" if row.multipart else "json"} if body is not None else {}
    response = getattr(client, row.method)(path, body, **kwargs)
    expected = row.expected[role]
    assert response.status_code == expected, (
        row.name,
        role,
        response.status_code,
        response.content[:300],
    )
    if expected >= 400 and path.startswith("/api/v1/"):
        assert set(response.json()) == {"code", "detail", "errors"}
