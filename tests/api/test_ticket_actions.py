"""Action endpoints: each answers with the updated ticket, or one clear error."""

import pytest

from andon.tickets.models import EventKind, Status
from tests import factories
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def url(ticket, action: str) -> str:
    return f"/api/v1/tickets/{ticket.pk}/{action}/"


def _ok(response, status: str):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == status
    assert "actions" in body
    return body


def test_claim_from_the_pool(api, world):
    world.handler.is_available = False
    world.handler.save()
    ticket = factories.make_ticket(actor=world.requester, entry=world.entry)
    assert ticket.assignee is None
    body = _ok(api(world.teammate).post(url(ticket, "claim")), Status.PROCESSING)
    assert body["assignee"]["id"] == world.teammate.pk
    assert body["first_response_at"] is not None
    # The second claimer loses with a 409 that names who has it.
    loser = assert_error(api(world.handler).post(url(ticket, "claim")), 409)
    assert world.teammate.name in loser["detail"]


def test_claim_needs_queue_membership(api, world):
    ticket = world.ticket()
    assert_error(api(world.requester).post(url(ticket, "claim")), 403, "permission_denied")
    assert_error(api(world.agent).post(url(ticket, "claim")), 404, "not_found")


def test_urge_counts_and_rate_limits(api, world):
    ticket = world.ticket()
    client = api(world.requester)
    body = _ok(client.post(url(ticket, "urge"), {"note": "很急"}, format="json"), Status.PENDING)
    assert body["urge_count"] == 1
    again = assert_error(client.post(url(ticket, "urge")), 429, "urge_too_soon")
    assert "分钟" in again["detail"]
    ticket.refresh_from_db()
    assert ticket.urge_count == 1
    assert ticket.events.filter(kind=EventKind.URGED).count() == 1


def test_urge_by_the_assignee_is_refused(api, world):
    ticket = world.ticket()
    assert_error(api(world.handler).post(url(ticket, "urge")), 403, "permission_denied")


def test_transfer_to_another_queue_redispatches(api, world):
    newcomer = factories.handler()
    factories.add_members(world.other_queue, newcomer)
    ticket = world.ticket(Status.PROCESSING)
    response = api(world.handler).post(
        url(ticket, "transfer"), {"queue": world.other_queue.pk, "note": "网络问题"}, format="json"
    )
    body = _ok(response, Status.PENDING)
    assert body["queue"]["id"] == world.other_queue.pk
    assert body["assignee"]["id"] == newcomer.pk
    assert body["actions"] == []  # the former handler only watches now (no longer a member)
    event = ticket.events.get(kind=EventKind.TRANSFERRED)
    assert event.note == "网络问题"


def test_transfer_to_a_person(api, world):
    ticket = world.ticket(Status.PROCESSING)
    response = api(world.handler).post(
        url(ticket, "transfer"), {"assignee": world.teammate.pk}, format="json"
    )
    body = _ok(response, Status.PENDING)
    assert body["assignee"]["id"] == world.teammate.pk
    # The new assignee accepts by claiming.
    _ok(api(world.teammate).post(url(ticket, "claim")), Status.PROCESSING)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "queue"),
        ({"queue": None, "assignee": None}, "queue"),
        ({"queue": "abc"}, "queue"),
        ({"queue": 999999}, "queue"),
        ({"queue": 10**30}, "queue"),
        ({"assignee": 999999}, "assignee"),
        ({"assignee": [1]}, "assignee"),
        ({"queue": "OTHER", "note": {"a": 1}}, "note"),
    ],
)
def test_transfer_rejects_bad_targets(api, world, payload, field):
    ticket = world.ticket(Status.PROCESSING)
    payload = {k: world.other_queue.pk if v == "OTHER" else v for k, v in payload.items()}
    response = api(world.handler).post(url(ticket, "transfer"), payload, format="json")
    assert_error(response, 400, "invalid", field=field)
    ticket.refresh_from_db()
    assert ticket.queue == world.queue


def test_transfer_by_someone_else_is_refused(api, world):
    ticket = world.ticket(Status.PROCESSING)
    payload = {"queue": world.other_queue.pk}
    assert_error(api(world.teammate).post(url(ticket, "transfer"), payload), 403)
    assert_error(api(world.requester).post(url(ticket, "transfer"), payload), 403)


def test_need_info_and_resume(api, world):
    ticket = world.ticket(Status.PROCESSING)
    missing = api(world.handler).post(url(ticket, "need-info"), {}, format="json")
    assert_error(missing, 400, "invalid", field="note")
    blank = api(world.handler).post(url(ticket, "need-info"), {"note": "  "}, format="json")
    assert_error(blank, 400, "invalid", field="note")
    _ok(
        api(world.handler).post(url(ticket, "need-info"), {"note": "请截图"}, format="json"),
        Status.NEED_INFO,
    )
    body = _ok(
        api(world.requester).post(url(ticket, "resume"), {"note": "已上传"}, format="json"),
        Status.PROCESSING,
    )
    assert body["assignee"]["id"] == world.handler.pk


def test_resolve_confirm_close(api, world):
    ticket = world.ticket(Status.PROCESSING)
    missing = api(world.handler).post(url(ticket, "resolve"), {}, format="json")
    assert_error(missing, 400, "invalid", field="resolution")
    body = _ok(
        api(world.handler).post(url(ticket, "resolve"), {"resolution": "换了硒鼓"}),
        Status.TO_CONFIRM,
    )
    assert body["resolution"] == "换了硒鼓"
    assert body["resolved_at"] is not None
    assert_error(api(world.handler).post(url(ticket, "confirm")), 403, "permission_denied")
    _ok(api(world.requester).post(url(ticket, "confirm")), Status.DONE)
    body = _ok(api(world.requester).post(url(ticket, "close")), Status.CLOSED)
    assert body["closed_at"] is not None
    assert body["actions"] == []


def test_reopen_needs_a_reason_and_counts(api, world):
    ticket = world.ticket(Status.TO_CONFIRM)
    assert_error(api(world.requester).post(url(ticket, "reopen"), {}), 400, field="reason")
    body = _ok(
        api(world.requester).post(url(ticket, "reopen"), {"reason": "还是不行"}),
        Status.PROCESSING,
    )
    assert body["reopen_count"] == 1
    assert body["resolved_at"] is None


def test_cancel_by_the_requester(api, world):
    ticket = world.ticket()
    assert_error(api(world.handler).post(url(ticket, "cancel")), 403, "permission_denied")
    body = _ok(
        api(world.requester).post(url(ticket, "cancel"), {"reason": "自己好了"}), Status.CANCELLED
    )
    assert body["closed_at"] is not None


@pytest.mark.parametrize(
    ("state", "action", "actor", "payload", "status_name"),
    [
        (Status.PENDING, "resume", "requester", {}, "待处理"),
        (Status.PENDING, "confirm", "requester", {}, "待处理"),
        (Status.PROCESSING, "reopen", "requester", {"reason": "x"}, "处理中"),
        (Status.TO_CONFIRM, "resolve", "handler", {"resolution": "x"}, "待确认"),
        (Status.TO_CONFIRM, "need-info", "handler", {"note": "x"}, "待确认"),
        (Status.DONE, "claim", "handler", {}, "已完成"),
        (Status.DONE, "cancel", "requester", {}, "已完成"),
        (Status.DONE, "urge", "requester", {}, "已完成"),
        (Status.CLOSED, "transfer", "admin", {"queue": "OTHER"}, "已关闭"),
        (Status.CANCELLED, "close", "admin", {}, "已取消"),
    ],
)
def test_transitions_outside_the_status_machine_are_409_naming_the_status(
    api, world, state, action, actor, payload, status_name
):
    ticket = world.ticket(state)
    payload = {k: world.other_queue.pk if v == "OTHER" else v for k, v in payload.items()}
    response = api(getattr(world, actor)).post(url(ticket, action), payload, format="json")
    body = assert_error(response, 409)
    assert status_name in body["detail"]
    ticket.refresh_from_db()
    assert ticket.status == state


@pytest.mark.parametrize(
    "action",
    [
        "claim",
        "urge",
        "transfer",
        "need-info",
        "resume",
        "resolve",
        "confirm",
        "reopen",
        "close",
        "cancel",
    ],
)
def test_actions_on_invisible_or_missing_tickets_are_404(api, world, action):
    ticket = world.ticket()
    assert_error(api(world.agent).post(url(ticket, action), {}, format="json"), 404, "not_found")
    missing = api(world.admin).post(f"/api/v1/tickets/999999/{action}/", {}, format="json")
    assert_error(missing, 404, "not_found")
    assert_error(api().post(url(ticket, action), {}), 401, "not_authenticated")


def test_actions_take_form_bodies_too(api, world):
    ticket = world.ticket(Status.PROCESSING)
    response = api(world.handler).post(url(ticket, "resolve"), {"resolution": "表单提交"})
    assert _ok(response, Status.TO_CONFIRM)["resolution"] == "表单提交"


def test_actions_reject_get(api, world):
    ticket = world.ticket()
    assert_error(api(world.handler).get(url(ticket, "claim")), 405, "method_not_allowed")
