"""The `actions` a ticket's detail lists are exactly the actions that would succeed: for each
state and each person, every action is tried (and rolled back) and compared with the list."""

import pytest
from django.db import transaction

from andon.tickets.models import Status
from andon.tickets.serializers import TICKET_ACTIONS
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

TICKET = "/api/v1/tickets/{pk}/"

REQUESTS = {
    "edit": ("patch", "", {"title": "新标题"}),
    "claim": ("post", "claim/", {}),
    "take-over": ("post", "take-over/", {}),
    "urge": ("post", "urge/", {}),
    "comment": ("post", "comments/", {"body": "看一下"}),
    "transfer": ("post", "transfer/", {"queue": "OTHER"}),
    "need-info": ("post", "need-info/", {"note": "请补充"}),
    "resume": ("post", "resume/", {}),
    "resolve": ("post", "resolve/", {"resolution": "已处理"}),
    "confirm": ("post", "confirm/", {}),
    "reopen": ("post", "reopen/", {"reason": "没好"}),
    "close": ("post", "close/", {}),
    "cancel": ("post", "cancel/", {}),
}

STATES = [
    "pool",
    Status.PENDING,
    Status.PROCESSING,
    Status.NEED_INFO,
    Status.TO_CONFIRM,
    Status.DONE,
    Status.CLOSED,
    Status.CANCELLED,
]
PEOPLE = ["requester", "handler", "teammate", "observer", "admin"]


def test_every_action_has_a_request():
    assert set(REQUESTS) == set(TICKET_ACTIONS)


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("state", STATES)
def test_listed_actions_are_the_ones_that_succeed(world, state, person):
    if state == "pool":
        world.handler.is_available = False
        world.handler.save()
        ticket = factories.make_ticket(actor=world.requester, entry=world.entry)
        assert ticket.assignee is None
    else:
        ticket = world.ticket(state)
    client = client_for(getattr(world, person))
    base = TICKET.format(pk=ticket.pk)
    listed = client.get(base).json()["actions"]

    succeeded = []
    for action in TICKET_ACTIONS:
        method, suffix, body = REQUESTS[action]
        body = {k: world.other_queue.pk if v == "OTHER" else v for k, v in body.items()}
        with transaction.atomic():
            response = getattr(client, method)(base + suffix, body, format="json")
            transaction.set_rollback(True)
        assert response.status_code in (200, 201, 403, 409), (action, response.content)
        if response.status_code < 300:
            succeeded.append(action)
    assert listed == succeeded
