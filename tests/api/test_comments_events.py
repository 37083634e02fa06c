"""Comments, the activity log and attachment downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from andon.tickets import services
from andon.tickets.models import Comment, EventKind, Status
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def comments(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/comments/"


def events(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/events/"


def test_post_and_list_comments(api, world):
    ticket = world.ticket()
    response = api(world.requester).post(
        comments(ticket), {"body": "**急**，下午要打印合同"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["author"]["id"] == world.requester.pk
    assert body["is_internal"] is False
    assert "<strong>急</strong>" in body["body_html"]
    listing = api(world.handler).get(comments(ticket)).json()
    assert listing["count"] == 1
    assert listing["results"][0]["body"] == "**急**，下午要打印合同"


def test_comment_markdown_is_sanitised(api, world):
    ticket = world.ticket()
    body = (
        api(world.requester)
        .post(comments(ticket), {"body": "<script>alert(1)</script>[x](javascript:alert(1))"})
        .json()
    )
    assert "<script" not in body["body_html"]
    assert "javascript:" not in body["body_html"]


def test_internal_comments_are_hidden_from_the_requester(api, world):
    ticket = world.ticket(Status.PROCESSING)
    internal = api(world.handler).post(
        comments(ticket), {"body": "疑似硒鼓问题", "is_internal": True}, format="json"
    )
    assert internal.status_code == 201, internal.content
    api(world.handler).post(comments(ticket), {"body": "正在处理"}, format="json")
    staff_view = [c["body"] for c in api(world.handler).get(comments(ticket)).json()["results"]]
    requester_view = [
        c["body"] for c in api(world.requester).get(comments(ticket)).json()["results"]
    ]
    assert staff_view == ["疑似硒鼓问题", "正在处理"]
    assert requester_view == ["正在处理"]
    # The activity log hides the internal comment's event from the requester too.
    staff_kinds = [e["kind"] for e in api(world.handler).get(events(ticket)).json()["results"]]
    requester_kinds = [
        e["kind"] for e in api(world.requester).get(events(ticket)).json()["results"]
    ]
    assert staff_kinds.count(EventKind.COMMENTED) == 2
    assert requester_kinds.count(EventKind.COMMENTED) == 1


def test_requester_cannot_post_internal_comments(api, world):
    ticket = world.ticket()
    response = api(world.requester).post(
        comments(ticket), {"body": "x", "is_internal": True}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert not Comment.objects.exists()


def test_comment_with_files_in_multipart(api, world):
    ticket = world.ticket()
    shot = SimpleUploadedFile("shot.png", b"\x89PNG fake", content_type="image/png")
    response = api(world.requester).post(
        comments(ticket), {"body": "截图见附件", "attachments": [shot]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    files = response.json()["attachments"]
    assert [(f["name"], f["content_type"]) for f in files] == [("shot.png", "image/png")]
    download = api(world.handler).get(files[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG fake"
    # The ticket's detail lists the file as well.
    detail = api(world.requester).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert [a["id"] for a in detail["attachments"]] == [files[0]["id"]]


def test_comment_attachment_type_is_checked(api, world):
    ticket = world.ticket()
    exe = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    response = api(world.requester).post(
        comments(ticket), {"body": "x", "attachments": [exe]}, format="multipart"
    )
    assert_error(response, 400, "invalid", field="attachments")


def test_attachment_of_an_internal_comment_is_hidden_from_the_requester(api, world):
    ticket = world.ticket(Status.PROCESSING)
    log = SimpleUploadedFile("debug.log", b"secret", content_type="text/plain")
    response = api(world.handler).post(
        comments(ticket),
        {"body": "内部日志", "is_internal": "true", "attachments": [log]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    url = response.json()["attachments"][0]["url"]
    assert api(world.handler).get(url).status_code == 200
    assert_error(api(world.requester).get(url), 404, "not_found")
    detail = api(world.requester).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["attachments"] == []
    assert_error(api(world.agent).get(url), 404, "not_found")
    assert_error(api().get(url), 401)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": ["x"]}, "body"),
        ({"body": "x", "is_internal": "maybe"}, "is_internal"),
        ({"body": "x", "attachments": "not a file"}, "attachments"),
    ],
)
def test_comment_rejects_bad_input(api, world, payload, field):
    ticket = world.ticket()
    response = api(world.handler).post(comments(ticket), payload, format="json")
    assert_error(response, 400, "invalid", field=field)


def test_comments_on_closed_tickets_are_409(api, world):
    ticket = world.ticket(Status.CLOSED)
    body = assert_error(api(world.requester).post(comments(ticket), {"body": "x"}), 409)
    assert "已关闭" in body["detail"]


def test_comments_and_events_of_invisible_tickets_are_404(api, world):
    ticket = world.ticket()
    for client in (api(world.agent), api(world.nobody)):
        assert_error(client.get(comments(ticket)), 404, "not_found")
        assert_error(client.post(comments(ticket), {"body": "x"}), 404, "not_found")
        assert_error(client.get(events(ticket)), 404, "not_found")
    assert_error(api().get(events(ticket)), 401, "not_authenticated")
    assert_error(api(world.admin).get("/api/v1/tickets/999999/events/"), 404, "not_found")


def test_events_list_the_whole_lifecycle_in_order(api, world):
    ticket = world.ticket(Status.DONE)
    rows = api(world.requester).get(events(ticket)).json()["results"]
    assert [r["kind"] for r in rows] == [
        EventKind.CREATED,
        EventKind.DISPATCHED,
        EventKind.CLAIMED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
    ]
    claimed = rows[2]
    assert claimed["actor"] == {
        "id": world.handler.pk,
        "username": "handler",
        "name": world.handler.name,
    }
    assert claimed["before"]["status"] == Status.PENDING
    assert claimed["after"]["status"] == Status.PROCESSING
    assert claimed["kind_display"] == "认领"
    assert rows[1]["actor"] is None  # dispatch is done by the system
    assert rows[3]["note"] == "已重启服务"


def test_events_paginate(api, world):
    ticket = world.ticket()
    for n in range(4):
        services.add_comment(ticket_id=ticket.pk, actor=world.handler, body=f"c{n}")
    first = api(world.admin).get(events(ticket), {"page_size": 3}).json()
    assert first["count"] == 6
    assert len(first["results"]) == 3
    second = api(world.admin).get(first["next"]).json()
    assert [r["note"] for r in second["results"]] == ["c1", "c2", "c3"]
