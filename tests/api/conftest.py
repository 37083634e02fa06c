"""API test helpers: clients that authenticate with a real token (so every request loads the
user afresh, as in production), and a small world of tickets to act on."""

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from andon.tickets import services
from andon.tickets.models import Status
from tests import factories


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_error(response, status_code: int, code: str | None = None, field: str | None = None):
    """The API's one error shape: {"code", "detail", "errors"}."""
    assert response.status_code == status_code, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        # Nested errors are flattened to dotted keys: "members.0" belongs to "members".
        keys = [k for k in body["errors"] if k == field or k.startswith(field + ".")]
        assert keys, body
        assert all(isinstance(m, str) and m for k in keys for m in body["errors"][k]), body
    return body


@pytest.fixture
def api():
    return client_for


@dataclass
class World:
    queue: object
    other_queue: object
    entry: object
    handler: object
    teammate: object
    requester: object
    agent: object
    observer: object
    admin: object
    nobody: object
    custom: object

    def ticket(self, status: str = Status.PENDING, **kwargs):
        """A ticket filed by `requester`, dispatched to `handler`, then moved to `status`."""
        ticket = factories.make_ticket(actor=self.requester, entry=self.entry, **kwargs)
        assert ticket.assignee == self.handler
        move_to(ticket, status, handler=self.handler, requester=self.requester)
        ticket.refresh_from_db()
        assert ticket.status == status
        return ticket


def move_to(ticket, status: str, *, handler, requester) -> None:
    pk = ticket.pk
    if status == Status.PENDING:
        return
    services.claim_ticket(ticket_id=pk, actor=handler)
    if status == Status.PROCESSING:
        return
    if status == Status.NEED_INFO:
        services.request_info(ticket_id=pk, actor=handler, note="请提供截图")
        return
    if status == Status.CANCELLED:
        services.cancel_ticket(ticket_id=pk, actor=requester)
        return
    services.resolve_ticket(ticket_id=pk, actor=handler, resolution="已重启服务")
    if status == Status.TO_CONFIRM:
        return
    services.confirm_ticket(ticket_id=pk, actor=requester)
    if status == Status.DONE:
        return
    services.close_ticket(ticket_id=pk, actor=requester)
    assert status == Status.CLOSED, status


@pytest.fixture
def world(db) -> World:
    """Queue Q (round robin) whose first member `handler` gets each new ticket; `teammate` is
    the other member. `agent` and `nobody` (no role) are unrelated to the tickets."""
    queue = factories.QueueFactory(name="桌面运维")
    other_queue = factories.QueueFactory(name="网络组")
    handler = factories.handler(username="handler")
    teammate = factories.handler(username="teammate", is_available=False)
    factories.add_members(queue, handler, teammate)
    return World(
        queue=queue,
        other_queue=other_queue,
        entry=factories.catalog_leaf(queue, name="打印机"),
        handler=handler,
        teammate=teammate,
        requester=factories.requester(username="requester"),
        agent=factories.requester(username="agent"),
        observer=factories.observer(username="observer"),
        admin=factories.admin(username="admin"),
        nobody=factories.UserFactory(username="nobody"),
        custom=_custom_role_user(),
    )


def _custom_role_user():
    """A user whose only role is a custom one with the 一线客服 (agent) bits."""
    from andon.accounts.models import Role

    agent_bits = Role.objects.get(code="agent").permissions
    role = Role.objects.create(name="值班客服", permissions=list(agent_bits))
    user = factories.UserFactory(username="custom")
    user.roles.add(role)
    return user
