"""History per customer for the team: whoever serves a customer (owner, WeCom follow user, group
chat member) or is in the same frontline group reads every ticket filed for it — in the sidebar,
the customer API and on the ticket page itself; others read only their own."""

import pytest
from django.urls import reverse

from andon.accounts.models import Department
from andon.customers import services
from andon.customers.models import ContactFollower, GroupChatMember
from tests import factories
from tests.api.conftest import client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

SIDEBAR = reverse("customers:sidebar")


@pytest.fixture
def people():
    frontline = Department.objects.create(name="一线客服组")
    elsewhere = Department.objects.create(name="华南客服组")
    follower = factories.requester(username="follower", main_department=frontline)
    colleague = factories.requester(username="colleague", main_department=frontline)
    stranger = factories.requester(username="stranger", main_department=elsewhere)
    # Files for the customer (and so owns it) from a third group: neither stranger's nor ours.
    filer = factories.requester(
        username="filer", main_department=Department.objects.create(name="大客户组")
    )
    return follower, colleague, stranger, filer


@pytest.fixture
def contact(people):
    follower, _colleague, _stranger, filer = people
    customer = services.create_customer(actor=filer, name="星河制造")
    contact = services.create_contact(
        actor=filer, name="陈爱丽", external_userid="wmTEAM", customer=customer.pk
    )
    ContactFollower.objects.create(contact=contact, userid="follower", user=follower)
    return contact


def test_the_team_reads_every_ticket_of_the_customer(client, people, contact, entry, handlers):
    follower, colleague, stranger, filer = people
    ticket = services.file_ticket(
        actor=filer, title="别组同事提的单", catalog_entry_id=entry.pk, contact_id=contact.pk
    )
    for reader in (follower, colleague):
        login(client, reader)
        page = client.get(SIDEBAR, {"external_userid": "wmTEAM"})
        assert ticket.number in page.content.decode(), reader.username
        assert "同组同事服务" in page.content.decode()  # the rule is stated
        assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200
    login(client, stranger)
    assert ticket.number not in client.get(SIDEBAR, {"external_userid": "wmTEAM"}).content.decode()
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    api = client_for(stranger)
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert client_for(colleague).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200


def test_chat_members_serve_the_chat(client, people, contact, entry, handlers):
    _follower, _colleague, stranger, filer = people
    chat = services.create_group_chat(actor=filer, chat_id="wrTEAM", name="星河群")
    ticket = services.file_ticket(
        actor=filer, title="群里的单", catalog_entry_id=entry.pk, group_chat_id=chat.pk
    )
    login(client, stranger)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    GroupChatMember.objects.create(chat=chat, member_id="stranger", kind=1, user=stranger)
    chat.agents.add(stranger)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200


def test_reading_is_not_working(people, contact, entry, handlers):
    from andon.tickets import policies

    follower, _colleague, _stranger, filer = people
    ticket = services.file_ticket(
        actor=filer, title="只读", catalog_entry_id=entry.pk, contact_id=contact.pk
    )
    assert policies.can_view(follower, ticket)
    assert not policies.can_claim(follower, ticket) and not policies.can_work(follower, ticket)


def test_without_the_directory_bit_nothing_widens(client, people, contact, entry, handlers):
    _follower, _colleague, _stranger, filer = people
    ticket = services.file_ticket(
        actor=filer, title="员工看不到", catalog_entry_id=entry.pk, contact_id=contact.pk
    )
    employee = factories.UserFactory(username="employee")  # no customers.view
    ContactFollower.objects.create(contact=contact, userid="employee", user=employee)
    login(client, employee)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    assert client.get(SIDEBAR).status_code == 403
    assert client_for(employee).get("/api/v1/contacts/").status_code == 403


def test_the_sidebar_history_has_no_n_plus_one(client, people, contact, entry, handlers):
    follower, _colleague, _stranger, filer = people
    login(client, follower)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(SIDEBAR, {"external_userid": "wmTEAM"}).status_code == 200
        return len(captured)

    services.file_ticket(actor=filer, title="一", catalog_entry_id=entry.pk, contact_id=contact.pk)
    few = count()
    for n in range(6):
        services.file_ticket(
            actor=filer, title=f"单{n}", catalog_entry_id=entry.pk, contact_id=contact.pk
        )
    assert count() == few
