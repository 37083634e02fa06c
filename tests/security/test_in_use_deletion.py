"""Deleting something that running OLA timers or unfinished tickets still use is refused with
the reason, through the API and the pages; once nothing uses it, it goes."""

import pytest
from django.utils import timezone

from andon.customers.models import Contact, Customer, CustomerGroupChat, TicketOrigin
from andon.ola import policy_services
from andon.ola.models import BusinessCalendar
from andon.tickets import services as ticket_services
from andon.tickets.models import Status
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def calendar(name):
    return BusinessCalendar.objects.create(
        name=name, weekly_windows=WEEKDAYS, follows_china_holidays=False
    )


@pytest.fixture
def desk(admin_user):
    old, new = calendar("旧日历"), calendar("新日历")
    queue = factories.QueueFactory(name="IT桌面支持")
    handler = factories.handler()
    factories.add_members(queue, handler)
    policy_services.save_policy(
        actor=admin_user,
        queue=queue,
        data={"calendar": old.pk, "response_minutes": {"L3": 30}, "resolution_minutes": {}},
    )
    ticket = factories.make_ticket(
        actor=factories.requester(), entry=factories.catalog_leaf(queue), priority="L3"
    )
    assert ticket.ola_timers.filter(active=True).exists()
    return {"old": old, "new": new, "queue": queue, "ticket": ticket, "handler": handler}


def test_a_calendar_a_policy_uses_is_refused_naming_the_queue(desk, admin_user, client):
    response = client_for(admin_user).delete(f"/api/v1/calendars/{desk['old'].pk}/")
    body = assert_error(response, 409, "in_use")
    assert "IT桌面支持" in body["detail"]
    login(client, admin_user)
    page = client.post(f"/config/ola/calendars/{desk['old'].pk}/delete/", follow=True)
    assert "IT桌面支持" in page.content.decode()
    assert BusinessCalendar.objects.filter(pk=desk["old"].pk).exists()


def test_a_calendar_running_timers_still_use_is_refused(desk, admin_user, client):
    # The policy moves on; the ticket's timers keep the calendar they started with.
    policy_services.save_policy(
        actor=admin_user, queue=desk["queue"], data={"calendar": desk["new"].pk}
    )
    response = client_for(admin_user).delete(f"/api/v1/calendars/{desk['old'].pk}/")
    body = assert_error(response, 409, "in_use")
    assert "1 张工单" in body["detail"]
    login(client, admin_user)
    page = client.post(f"/config/ola/calendars/{desk['old'].pk}/delete/", follow=True)
    assert "1 张工单" in page.content.decode()
    assert BusinessCalendar.objects.filter(pk=desk["old"].pk).exists()
    # Re-planned onto the new calendar, the old one is free to go.
    policy_services.apply_policy_to_open_tickets(actor=admin_user, queue=desk["queue"])
    response = client_for(admin_user).delete(f"/api/v1/calendars/{desk['old'].pk}/")
    assert response.status_code == 204
    # ... and the engine still works for the ticket.
    ticket_services.claim_ticket(ticket_id=desk["ticket"].pk, actor=desk["handler"])


def test_met_timers_of_a_resolved_ticket_keep_their_calendar(desk, admin_user):
    ticket, handler = desk["ticket"], desk["handler"]
    ticket_services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="重启好了")
    policy_services.save_policy(
        actor=admin_user, queue=desk["queue"], data={"calendar": desk["new"].pk}
    )
    # A reopen would resume the resolution clock on the old calendar.
    response = client_for(admin_user).delete(f"/api/v1/calendars/{desk['old'].pk}/")
    assert_error(response, 409, "in_use")


@pytest.mark.parametrize(
    ("resource", "field"),
    [("customers", "customer"), ("contacts", "contact"), ("group-chats", "group_chat")],
)
def test_customer_records_with_unfinished_tickets_stay(resource, field, admin_user, entry):
    now = timezone.now()
    customer = Customer.objects.create(name="华瑞", created_at=now, updated_at=now)
    records = {
        "customer": customer,
        "contact": Contact.objects.create(
            name="王经理", customer=customer, created_at=now, updated_at=now
        ),
        "group_chat": CustomerGroupChat.objects.create(
            chat_id="wrX", name="华瑞服务群", customer=customer, created_at=now, updated_at=now
        ),
    }
    ticket = factories.make_ticket(actor=admin_user, entry=entry)
    TicketOrigin.objects.create(ticket=ticket, **{field: records[field]})
    record = records[field]
    api = client_for(admin_user)
    body = assert_error(api.delete(f"/api/v1/{resource}/{record.pk}/"), 409, "in_use")
    assert record.name in body["detail"] and "1 张未完成的工单" in body["detail"]
    ticket_services.cancel_ticket(ticket_id=ticket.pk, actor=admin_user, reason="不需要了")
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert api.delete(f"/api/v1/{resource}/{record.pk}/").status_code == 204
