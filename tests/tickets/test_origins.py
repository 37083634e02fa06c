"""One filing door: every surface passes its origin to `create_ticket`, which checks it with the
other fields, writes its rows before the `created` event and summarises it in that event."""

import pytest
from django.urls import reverse

from andon.core.errors import PermissionDenied, ValidationFailed
from andon.customers import services as customer_services
from andon.customers.models import TicketOrigin
from andon.portal.services import portal_user_for
from andon.tickets import origins, services
from andon.tickets.models import Channel, EventKind, Ticket, TicketEvent
from tests import factories
from tests.api.conftest import client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def created(ticket) -> TicketEvent:
    return ticket.events.get(kind=EventKind.CREATED)


@pytest.fixture
def agent(db):
    return factories.requester(username="agent1")


@pytest.fixture
def contact(agent):
    customer = customer_services.create_customer(actor=agent, name="华东物流")
    return customer_services.create_contact(
        actor=agent,
        name="王经理",
        external_userid="wmABC",
        email="wang@example.com",
        customer=customer.pk,
    )


def test_web_origin(client, requester, entry, handlers):
    login(client, requester)
    r = client.post(
        reverse("tickets:create"),
        {"title": "打印机卡纸", "catalog_entry": entry.pk, "priority": "L3"},
    )
    assert r.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB
    assert created(ticket).after["origin"] == {"kind": "web"}


def test_no_origin_is_the_desk(requester, entry, handlers):
    ticket = services.create_ticket(actor=requester, title="x", catalog_entry_id=entry.pk)
    assert (ticket.channel, created(ticket).after["origin"]) == (Channel.WEB, {"kind": "web"})


def test_api_origin_and_its_one_validation(requester, entry, handlers):
    api = client_for(requester)
    r = api.post("/api/v1/tickets/", {"title": "VPN", "catalog_entry": entry.pk}, format="json")
    assert r.status_code == 201, r.content
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.API
    assert created(ticket).after["origin"] == {"kind": "api"}
    # Values are judged by the service, every field at once, in its words.
    r = api.post(
        "/api/v1/tickets/",
        {
            "title": "",
            "catalog_entry": entry.pk,
            "channel": "fax",
            "priority": "L9",
            "requester": 999999,
        },
        format="json",
    )
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert set(errors) >= {"title", "channel", "priority", "requester"}
    assert errors["requester"] == ["用户不存在"]
    assert Ticket.objects.count() == 1


def test_portal_origin_for_an_employee(client, requester, entry, handlers):
    login(client, requester)
    r = client.post(reverse("portal:new"), {"title": "门禁卡失效", "catalog_entry": entry.pk})
    assert r.status_code == 302, r.content
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.PORTAL
    assert created(ticket).after["origin"] == {"kind": "portal"}
    assert not TicketOrigin.objects.exists()


def test_portal_origin_for_a_contact_records_the_contact(contact, entry, handlers):
    user = portal_user_for(contact)
    ticket = services.create_ticket(
        actor=user, title="发票抬头错了", catalog_entry_id=entry.pk, origin={"kind": "portal"}
    )
    assert created(ticket).after["origin"] == {
        "kind": "portal",
        "contact": {"id": contact.pk, "name": "王经理"},
    }
    origin = TicketOrigin.objects.get(ticket=ticket)
    assert (origin.contact, origin.customer_id) == (contact, contact.customer_id)
    # A role-less contact files only through the portal door.
    with pytest.raises(PermissionDenied):
        services.create_ticket(actor=user, title="x", catalog_entry_id=entry.pk)


def test_chat_origin_from_the_sidebar(client, agent, contact, entry, handlers):
    login(client, agent)
    r = client.post(
        reverse("customers:sidebar"),
        {"external_userid": "wmABC", "title": "仓库系统打不开", "catalog_entry": entry.pk},
    )
    assert r.status_code == 302, r.content
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.SINGLE_CHAT
    assert created(ticket).after["origin"] == {
        "kind": "chat",
        "customer": {"id": contact.customer_id, "name": "华东物流"},
        "contact": {"id": contact.pk, "name": "王经理"},
        "group_chat": None,
        "external_userid": "wmABC",
        "chat_id": "",
    }
    assert TicketOrigin.objects.get(ticket=ticket).contact == contact


def test_chat_origin_is_checked_with_the_other_fields(agent, entry, handlers):
    with pytest.raises(ValidationFailed) as failed:
        customer_services.file_ticket(
            actor=agent, title="", catalog_entry_id=entry.pk, contact_id=424242
        )
    assert set(failed.value.errors) == {"title", "contact"}
    assert not Ticket.objects.exists() and not TicketOrigin.objects.exists()


def test_channel_origin_is_summarised_and_recorded_before_the_created_event(
    requester, entry, handlers
):
    seen = []

    def record(ticket, state):
        # Runs after the ticket row exists and before anything reacts to `created`.
        seen.append((state, ticket.events.filter(kind=EventKind.CREATED).exists()))

    previous = origins._handlers.get("channel")
    origins.register(
        "channel",
        origins.Handler(
            clean=lambda actor, details: ({"name": details["name"]}, details["id"]), record=record
        ),
    )
    try:
        ticket = services.create_ticket(
            actor=requester,
            title="邮件来的",
            catalog_entry_id=entry.pk,
            channel=Channel.EMAIL,
            origin={"kind": "channel", "name": "email", "id": "<m1@example.com>"},
        )
    finally:
        origins._handlers.pop("channel")
        if previous is not None:
            origins._handlers["channel"] = previous
    assert seen == [("<m1@example.com>", False)]
    assert created(ticket).after["origin"] == {"kind": "channel", "name": "email"}


def test_channel_origin_without_a_handler_keeps_flat_details(requester, entry, handlers):
    ticket = services.create_ticket(
        actor=requester,
        title="邮件来的",
        catalog_entry_id=entry.pk,
        channel=Channel.EMAIL,
        origin={"kind": "channel", "name": "email", "subject": "x" * 500},
    )
    assert created(ticket).after["origin"] == {
        "kind": "channel",
        "name": "email",
        "subject": "x" * origins.DETAIL_MAX,
    }
    # A channel names its own channel; nested details and unknown kinds are refused.
    for origin, field in (
        ({"kind": "channel"}, "channel"),
        ({"kind": "channel", "name": {"nested": 1}}, "origin"),
        ({"kind": "fax"}, "origin"),
        ("chat", "origin"),
    ):
        with pytest.raises(ValidationFailed) as failed:
            services.create_ticket(
                actor=requester, title="x", catalog_entry_id=entry.pk, origin=origin
            )
        assert field in failed.value.errors, origin
