import pytest
from django.urls import reverse

from andon.customers import services
from andon.customers.models import TicketOrigin
from andon.tickets import services as ticket_services
from andon.tickets.models import Channel, Status
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

URL = reverse("customers:sidebar")


@pytest.fixture
def agent():
    return factories.requester(username="agent1")


@pytest.fixture
def contact(agent):
    customer = services.create_customer(actor=agent, name="华东物流<b>")
    return services.create_contact(
        actor=agent, name="王经理", external_userid="wmABC", customer=customer.pk
    )


def test_sidebar_shows_card_and_tickets_open_first(client, agent, contact, entry, handlers):
    done = services.file_ticket(
        actor=agent, title="旧问题", catalog_entry_id=entry.pk, contact_id=contact.pk
    )
    ticket_services.claim_ticket(ticket_id=done.pk, actor=done.assignee)
    ticket_services.resolve_ticket(ticket_id=done.pk, actor=done.assignee, resolution="ok")
    ticket_services.confirm_ticket(ticket_id=done.pk, actor=agent)
    open_one = services.file_ticket(
        actor=agent, title="新问题", catalog_entry_id=entry.pk, contact_id=contact.pk
    )
    login(client, agent)
    r = client.get(URL, {"external_userid": "wmABC"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "王经理" in html and "华东物流&lt;b&gt;" in html
    assert html.index(open_one.number) < html.index(done.number)
    assert r.context["channel"] == Channel.SINGLE_CHAT


def test_sidebar_needs_frontline_permission(client):
    assert client.get(URL).status_code == 302
    login(client, factories.UserFactory())
    assert client.get(URL).status_code == 403


def test_sidebar_files_ticket_with_origin(client, agent, contact, entry, handlers):
    chat = services.create_group_chat(
        actor=agent, chat_id="wrG", name="物流群", customer=contact.customer_id
    )
    login(client, agent)
    r = client.post(
        URL,
        {
            "chat_id": "wrG",
            "external_userid": "wmABC",
            "channel": "external_group",
            "catalog_entry": entry.pk,
            "title": "无法登录",
            "priority": "L2",
        },
    )
    assert r.status_code == 302
    origin = TicketOrigin.objects.select_related("ticket").get()
    assert origin.group_chat == chat and origin.contact == contact
    assert origin.customer_id == contact.customer_id
    assert origin.ticket.channel == Channel.EXTERNAL_GROUP
    assert origin.ticket.priority == "L2" and origin.ticket.requester == agent
    assert origin.ticket.status == Status.PENDING


def test_sidebar_form_errors_are_shown(client, agent, contact):
    login(client, agent)
    r = client.post(URL, {"external_userid": "wmABC", "title": ""})
    assert r.status_code == 400
    assert not TicketOrigin.objects.exists()


def test_sidebar_query_count_is_constant(
    client, agent, contact, entry, handlers, django_assert_max_num_queries
):
    login(client, agent)

    def grow(n):
        for _ in range(n):
            services.file_ticket(
                actor=agent, title="问题", catalog_entry_id=entry.pk, contact_id=contact.pk
            )

    grow(1)
    with django_assert_max_num_queries(14) as few:
        assert client.get(URL, {"external_userid": "wmABC"}).status_code == 200
    grow(8)
    with django_assert_max_num_queries(14) as many:
        assert client.get(URL, {"external_userid": "wmABC"}).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_unknown_context_is_explained(client, agent):
    login(client, agent)
    r = client.get(URL, {"chat_id": "wrUnknown"})
    assert "尚未登记的客户" in r.content.decode()


def test_ticket_page_shows_origin(client, agent, contact, entry, handlers):
    ticket = services.file_ticket(
        actor=agent, title="x", catalog_entry_id=entry.pk, contact_id=contact.pk
    )
    login(client, agent)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-testid="ticket-origin"' in html and "王经理" in html


def test_handover_page_admin_only(client, handlers, entry):
    login(client, handlers[0])
    assert client.get(reverse("customers:handover")).status_code == 403
    admin = factories.admin()
    login(client, admin)
    assert client.get(reverse("customers:handover")).status_code == 200
    requester = factories.requester()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    successor = factories.handler()
    r = client.post(
        reverse("customers:handover"),
        {"from_user": ticket.assignee_id, "to_user": successor.pk},
    )
    assert r.status_code == 200 and r.context["summary"]["tickets"][0]["id"] == ticket.pk
    r = client.post(reverse("customers:handover"), {"from_user": "", "to_user": ""})
    assert r.status_code == 400
