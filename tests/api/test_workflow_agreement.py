"""One workflow table, three doors that agree. For every status × action × person: the service
accepts exactly what `workflow.allows` says; the API lists exactly those actions and refuses the
rest with the service's own status (403/409) and message; the ticket page shows exactly those
buttons and refuses a posted one with the same status and message. Every try is rolled back."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from andon.core.errors import ServiceError
from andon.tickets import services, workflow
from andon.tickets.models import Status, Ticket
from andon.tickets.views.page import ACCEPT, BUTTONS
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

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

# A valid request for each action: service keywords, API (method, path suffix, body), page body.
REQUESTS = {
    "edit": ({"title": "新标题"}, ("patch", "", {"title": "新标题"}), None),
    "claim": ({}, ("post", "claim/", {}), {}),
    "take-over": ({"note": ""}, ("post", "take-over/", {}), {"note": ""}),
    "urge": ({"note": ""}, ("post", "urge/", {}), {"note": ""}),
    "comment": ({"body": "看一下"}, ("post", "comments/", {"body": "看一下"}), {"body": "看一下"}),
    "transfer": (
        {"queue_id": "OTHER"},
        ("post", "transfer/", {"queue": "OTHER"}),
        {"queue": "OTHER"},
    ),
    "reassign": ({"to_user": "AGENT"}, None, None),
    "need-info": (
        {"note": "请补充"},
        ("post", "need-info/", {"note": "请补充"}),
        {"note": "请补充"},
    ),
    "resume": ({"note": ""}, ("post", "resume/", {}), {"note": ""}),
    "resolve": (
        {"resolution": "已处理"},
        ("post", "resolve/", {"resolution": "已处理"}),
        {"note": "已处理"},
    ),
    "confirm": ({"note": ""}, ("post", "confirm/", {}), {"note": ""}),
    "reopen": ({"reason": "没好"}, ("post", "reopen/", {"reason": "没好"}), {"note": "没好"}),
    "close": ({"note": ""}, ("post", "close/", {}), {"note": ""}),
    "cancel": ({"reason": ""}, ("post", "cancel/", {}), {"note": ""}),
    "attach": ({"upload": "FILE"}, None, None),
}


def test_every_action_has_a_request_and_every_surface_is_covered():
    assert set(REQUESTS) == set(workflow.ACTIONS)
    assert {n for n, (_s, api, _p) in REQUESTS.items() if api} == set(workflow.names(workflow.API))
    page = {n for n, (_s, _a, body) in REQUESTS.items() if body is not None} - {"comment"}
    assert page == set(BUTTONS)


def _resolve(values: dict, world) -> dict:
    special = {
        "OTHER": lambda: world.other_queue.pk,
        "AGENT": lambda: world.agent,
        "FILE": lambda: SimpleUploadedFile("note.txt", b"hello", content_type="text/plain"),
    }
    return {
        k: special[v]() if isinstance(v, str) and v in special else v for k, v in values.items()
    }


def _fresh(pk) -> Ticket:
    return Ticket.objects.select_related("assignee", "queue", "requester").get(pk=pk)


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def make(world):
    def build(state):
        if state == "pool":
            world.handler.is_available = False
            world.handler.save()
            ticket = factories.make_ticket(actor=world.requester, entry=world.entry)
            assert ticket.assignee is None
            return ticket
        return world.ticket(state)

    return build


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("state", STATES)
def test_service_api_and_page_agree(world, make, state, person):
    ticket = make(state)
    user = getattr(world, person)
    expected = {
        name: workflow.get(name).refusal(user, _fresh(ticket.pk)) for name in workflow.ACTIONS
    }
    allowed = [name for name, refusal in expected.items() if refusal is None]
    assert allowed == workflow.available_actions(user, _fresh(ticket.pk))

    # The service: accepts the allowed, refuses the rest exactly as the table says.
    for name, (kwargs, _api, _page) in REQUESTS.items():
        service = getattr(services, workflow.get(name).service)
        refusal = expected[name]
        with transaction.atomic():
            try:
                service(ticket_id=ticket.pk, actor=user, **_resolve(kwargs, world))
            except ServiceError as exc:
                assert refusal is not None, (name, exc.detail)
                assert (type(exc), exc.detail) == (type(refusal), refusal.detail), name
            else:
                assert refusal is None, (name, refusal.detail)
            transaction.set_rollback(True)

    # The API: lists the allowed, refuses the rest with the same status and message.
    api = client_for(user)
    base = f"/api/v1/tickets/{ticket.pk}/"
    assert api.get(base).json()["actions"] == workflow.available_actions(
        user, _fresh(ticket.pk), workflow.API
    )
    for name, (_kwargs, request, _page) in REQUESTS.items():
        if request is None:
            continue
        method, suffix, body = request
        with transaction.atomic():
            response = getattr(api, method)(base + suffix, _resolve(body, world), format="json")
            transaction.set_rollback(True)
        refusal = expected[name]
        if refusal is None:
            assert response.status_code in (200, 201), (name, response.content)
        else:
            assert response.status_code == refusal.status_code, (name, response.content)
            assert response.json()["detail"] == refusal.detail, name

    # The page: shows exactly the allowed buttons, refuses a posted one the same way.
    page = _page_client(user)
    url = f"/tickets/{ticket.pk}/"
    html = page.get(url).content.decode()
    shown = set(re.findall(r'data-action="([\w-]+)"', html)) & {*BUTTONS, ACCEPT}
    wanted = {name for name in BUTTONS if expected[name] is None}
    if "claim" in wanted and ticket.assignee_id is not None:
        wanted = (wanted - {"claim"}) | {ACCEPT}
    assert shown == wanted
    for name in (*BUTTONS, "comment"):
        body = REQUESTS[name][2]
        with transaction.atomic():
            response = page.post(url + f"{name}/", _resolve(body, world))
            transaction.set_rollback(True)
        refusal = expected[name]
        if refusal is None:
            assert response.status_code in (200, 302), (name, response.status_code)
        else:
            assert response.status_code == refusal.status_code, (name, response.status_code)
            assert refusal.detail in response.content.decode(), name
