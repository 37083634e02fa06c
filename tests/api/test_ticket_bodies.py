"""The hand-written ticket body that answers writes (andon.tickets.bodies) is the serializer's body,
key for key, for tickets in every shape and for every kind of caller; and the API's answers to a
create and an action are that body."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import RequestFactory
from django.utils import translation
from rest_framework.request import Request

from andon.tickets import bodies, selectors
from andon.tickets.models import Status, Ticket
from andon.tickets.serializers import TicketDetailSerializer
from tests import factories
from tests.api.conftest import client_for


def plain(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def serializer_body(ticket, user):
    request = Request(RequestFactory().get("/"))
    request.user = user
    return plain(TicketDetailSerializer(ticket, context={"request": request}).data)


def loaded(ticket, user):
    """The ticket as the detail endpoint reads it (relations and files loaded)."""
    return selectors.get_visible_ticket(
        user, ticket.pk, within=selectors.ticket_detail_queryset(user)
    )


@pytest.mark.parametrize("status", [s for s, _label in Status.choices])
def test_same_body_as_the_serializer_in_every_status(world, status):
    ticket = world.ticket(status)
    for user in (world.requester, world.handler, world.teammate, world.admin):
        row = loaded(ticket, user)
        assert plain(bodies.ticket_detail(row, user)) == serializer_body(row, user)


def test_same_body_with_files_custom_fields_and_no_assignee(world):
    factories.custom_field(world.entry, "asset", name="资产编号")
    world.handler.is_available = False
    world.handler.save()
    ticket = factories.make_ticket(
        actor=world.requester,
        entry=world.entry,
        custom_fields={"asset": "PR-0301"},
        attachments=[factories.upload()],
    )
    assert ticket.assignee_id is None
    row = loaded(ticket, world.admin)
    body = plain(bodies.ticket_detail(row, world.admin))
    assert body["custom_fields"] == {"asset": "PR-0301"}
    assert len(body["attachments"]) == 1 and body["assignee"] is None
    assert body == serializer_body(row, world.admin)


def test_same_body_without_queue_and_with_a_parent_entry(world):
    parent = factories.catalog_leaf(None, name="办公设备")
    world.entry.parent = parent
    world.entry.save()
    ticket = world.ticket(Status.PROCESSING)
    ticket.queue = None
    ticket.save(update_fields=["queue"])
    row = loaded(ticket, world.admin)
    body = plain(bodies.ticket_detail(row, world.admin))
    assert body["queue"] is None and body["catalog_entry"]["parent"]["name"] == "办公设备"
    assert body == serializer_body(row, world.admin)


def test_labels_follow_the_active_language(world):
    ticket = world.ticket(Status.PROCESSING)
    row = loaded(ticket, world.admin)
    with translation.override("en"):
        english = plain(bodies.ticket_detail(row, world.admin))
        assert english == serializer_body(row, world.admin)
    chinese = plain(bodies.ticket_detail(row, world.admin))
    assert chinese["status_display"] != english["status_display"]
    assert chinese == serializer_body(row, world.admin)


def test_create_and_action_answers_are_the_detail_body(world):
    created = client_for(world.requester).post(
        "/api/v1/tickets/",
        {"title": "打印机卡纸", "catalog_entry": world.entry.pk, "description": "三楼"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    ticket = Ticket.objects.get(pk=pk)
    assert created.json() == serializer_body(loaded(ticket, world.requester), world.requester)
    claimed = client_for(world.handler).post(f"/api/v1/tickets/{pk}/claim/")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["status"] == Status.PROCESSING
    assert claimed.json() == serializer_body(loaded(ticket, world.handler), world.handler)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_what_django_displays(language):
    from andon.core.choices import label
    from andon.tickets.models import EventKind, TicketEvent

    with translation.override(language):
        for value, _text in EventKind.choices:
            assert label(EventKind, value) == TicketEvent(kind=value).get_kind_display()
        assert label(EventKind, "no-such-kind") == "no-such-kind"
        for value, _text in Status.choices:
            assert label(Status, value) == Ticket(status=value).get_status_display()
