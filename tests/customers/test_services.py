import pytest

from andon.audit.models import AuditEntry
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.customers import handover, services
from andon.customers.models import Contact, Customer, CustomerGroupChat, TicketOrigin
from andon.tickets.models import Channel, EventKind, Status, Ticket
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return factories.requester(username="agent1")


def test_create_customer_owned_by_creator_and_audited(agent):
    customer = services.create_customer(actor=agent, name="  华东物流 ", note="VIP")
    assert customer.name == "华东物流" and customer.owner == agent
    entry = AuditEntry.objects.get(action="customer.create")
    assert entry.changes["name"] == [None, "华东物流"]


def test_customer_name_unique_case_insensitive(agent):
    services.create_customer(actor=agent, name="Acme")
    with pytest.raises(ValidationFailed) as exc:
        services.create_customer(actor=agent, name="ACME")
    assert "name" in exc.value.errors
    assert Customer.objects.count() == 1


def test_all_field_errors_reported_at_once(agent):
    with pytest.raises(ValidationFailed) as exc:
        services.create_contact(actor=agent, name="", email="not-an-email", customer=99999)
    assert {"name", "email", "customer"} <= set(exc.value.errors)
    assert not Contact.objects.exists()


def test_external_userid_unique(agent):
    services.create_contact(actor=agent, name="甲", external_userid="wm1")
    with pytest.raises(ValidationFailed) as exc:
        services.create_contact(actor=agent, name="乙", external_userid="wm1")
    assert "external_userid" in exc.value.errors


def test_only_owner_or_admin_edits(agent):
    customer = services.create_customer(actor=agent, name="甲公司")
    other = factories.requester()
    with pytest.raises(PermissionDenied):
        services.update_customer(actor=other, customer_id=customer.pk, note="x")
    admin = factories.admin()
    services.update_customer(actor=admin, customer_id=customer.pk, note="改")
    customer.refresh_from_db()
    assert customer.note == "改"
    assert AuditEntry.objects.get(action="customer.update").changes == {"note": ["", "改"]}


def test_observer_reads_but_cannot_create():
    observer = factories.observer()
    with pytest.raises(PermissionDenied):
        services.create_customer(actor=observer, name="x")
    nobody = factories.UserFactory()
    with pytest.raises(PermissionDenied):
        services.create_customer(actor=nobody, name="x")


def test_group_chat_agents_validated(agent):
    ghost = factories.UserFactory(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        services.create_group_chat(actor=agent, chat_id="wr1", name="群", agents=[ghost.pk])
    assert "agents" in exc.value.errors
    chat = services.create_group_chat(actor=agent, chat_id="wr1", name="群", agents=[agent.pk])
    assert list(chat.agents.all()) == [agent]


def test_file_ticket_records_origin(agent, entry, handlers):
    customer = services.create_customer(actor=agent, name="华东物流")
    contact = services.create_contact(
        actor=agent, name="王经理", external_userid="wmX", customer=customer.pk
    )
    ticket = services.file_ticket(
        actor=agent,
        title="仓库系统打不开",
        catalog_entry_id=entry.pk,
        channel=Channel.SINGLE_CHAT,
        contact_id=contact.pk,
    )
    assert ticket.requester == agent and ticket.channel == Channel.SINGLE_CHAT
    origin = TicketOrigin.objects.get(ticket=ticket)
    assert origin.customer == customer and origin.contact == contact
    assert origin.external_userid == "wmX"
    assert ticket.events.filter(kind=EventKind.CREATED).count() == 1


def test_file_ticket_is_all_or_nothing(agent, entry):
    with pytest.raises(ValidationFailed):
        services.file_ticket(actor=agent, title="", catalog_entry_id=entry.pk)
    with pytest.raises(ValidationFailed):
        services.file_ticket(actor=agent, title="x", catalog_entry_id=entry.pk, contact_id=424242)
    assert not Ticket.objects.exists() and not TicketOrigin.objects.exists()


def test_handover_moves_everything(entry, handlers):
    admin = factories.admin()
    leaving, successor = handlers[0], factories.handler()
    requester = factories.requester()
    tickets = [factories.make_ticket(actor=requester, entry=entry) for _ in range(3)]
    mine = [t for t in tickets if t.assignee_id == leaving.pk]
    assert mine
    done = mine[0]
    from andon.tickets import services as ts

    ts.claim_ticket(ticket_id=done.pk, actor=leaving)
    ts.resolve_ticket(ticket_id=done.pk, actor=leaving, resolution="ok")
    ts.confirm_ticket(ticket_id=done.pk, actor=requester)
    customer = services.create_customer(actor=leaving, name="甲")
    services.create_contact(actor=leaving, name="联系人")
    served = services.create_group_chat(
        actor=requester, chat_id="wr9", name="群", agents=[leaving.pk]
    )
    result = handover.hand_over(actor=admin, from_user=leaving.pk, to_user=successor.pk)
    unfinished = [t for t in mine if t.pk != done.pk]
    assert [t["id"] for t in result["tickets"]] == [t.pk for t in unfinished]
    assert result["customers"] == 1 and result["contacts"] == 1
    assert result["group_chats_served"] == 1
    for t in unfinished:
        t.refresh_from_db()
        assert t.assignee == successor
        assert t.events.filter(kind=EventKind.TRANSFERRED, after__handover=True).count() == 1
    done.refresh_from_db()
    assert done.assignee == leaving and done.status == Status.DONE
    customer.refresh_from_db()
    assert customer.owner == successor
    assert list(served.agents.all()) == [successor]
    assert not CustomerGroupChat.objects.filter(agents=leaving).exists()


def test_handover_requires_admin_and_valid_people(handlers):
    with pytest.raises(PermissionDenied):
        handover.hand_over(actor=handlers[0], from_user=handlers[1].pk, to_user=handlers[2].pk)
    admin = factories.admin()
    with pytest.raises(ValidationFailed) as exc:
        handover.hand_over(actor=admin, from_user=handlers[0].pk, to_user=handlers[0].pk)
    assert "to_user" in exc.value.errors
    inactive = factories.handler(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        handover.hand_over(actor=admin, from_user=999999, to_user=inactive.pk)
    assert {"from_user", "to_user"} <= set(exc.value.errors)
