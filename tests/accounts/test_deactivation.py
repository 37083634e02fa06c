import pytest

from andon.accounts import services
from andon.audit.models import AuditEntry
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.queues.selectors import dispatch_candidates
from andon.tickets import services as ticket_services
from andon.tickets.models import EventKind, Status, TicketEvent
from tests import factories


@pytest.fixture
def admin(db):
    return factories.admin(username="boss")


@pytest.fixture
def owner_with_tickets(queue, entry, requester):
    owner = factories.handler(username="leaving")
    factories.add_members(queue, owner)
    first = factories.make_ticket(actor=requester, entry=entry)
    second = factories.make_ticket(actor=requester, entry=entry)
    ticket_services.claim_ticket(ticket_id=second.pk, actor=owner)
    done = factories.make_ticket(actor=requester, entry=entry)
    ticket_services.claim_ticket(ticket_id=done.pk, actor=owner)
    ticket_services.resolve_ticket(ticket_id=done.pk, actor=owner, resolution="好了")
    ticket_services.confirm_ticket(ticket_id=done.pk, actor=requester)
    for ticket in (first, second, done):
        ticket.refresh_from_db()
        assert ticket.assignee == owner
    return owner, [first, second], done


def test_owner_of_open_tickets_needs_a_successor(admin, owner_with_tickets):
    owner, _open, _done = owner_with_tickets
    with pytest.raises(Conflict) as exc:
        services.deactivate_user(actor=admin, user_id=owner.pk)
    assert exc.value.code == "has_open_tickets"
    assert "2 张未完成的工单" in exc.value.detail
    assert "successor" in exc.value.errors
    owner.refresh_from_db()
    assert owner.is_active
    assert not AuditEntry.objects.filter(action="deactivate").exists()


def test_successor_takes_every_unfinished_ticket_as_it_is(admin, owner_with_tickets, queue):
    owner, open_tickets, done = owner_with_tickets
    successor = factories.handler(username="next")
    statuses = {t.pk: t.status for t in open_tickets}
    services.deactivate_user(actor=admin, user_id=owner.pk, successor_id=successor.pk)
    owner.refresh_from_db()
    assert owner.is_active is False
    for ticket in open_tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == successor
        assert ticket.status == statuses[ticket.pk]
        events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSFERRED)
        handovers = [e for e in events if e.after.get("handover")]
        assert len(handovers) == 1
        assert handovers[0].actor == admin
    done.refresh_from_db()
    assert done.assignee == owner and done.status == Status.DONE
    assert owner not in dispatch_candidates(queue)
    entry = AuditEntry.objects.get(action="deactivate", object_id=str(owner.pk))
    assert entry.actor == admin
    assert entry.changes == {
        "is_active": [True, False],
        "successor": [None, "next"],
        "handed_over_tickets": [None, 2],
    }


def test_person_without_open_tickets_is_deactivated_directly(admin):
    person = factories.handler()
    services.deactivate_user(actor=admin, user_id=person.pk)
    person.refresh_from_db()
    assert not person.is_active
    with pytest.raises(Conflict) as exc:
        services.deactivate_user(actor=admin, user_id=person.pk)
    assert exc.value.code == "already_inactive"


def test_bad_successors_and_targets(admin, owner_with_tickets):
    owner, _open, _done = owner_with_tickets
    gone = factories.UserFactory(is_active=False)
    for successor_id in (gone.pk, owner.pk, 999999, "x"):
        with pytest.raises(ValidationFailed) as exc:
            services.deactivate_user(actor=admin, user_id=owner.pk, successor_id=successor_id)
        assert "successor" in exc.value.errors
    with pytest.raises(NotFound):
        services.deactivate_user(actor=admin, user_id=999999)
    with pytest.raises(Conflict) as exc:
        services.deactivate_user(actor=admin, user_id=admin.pk)
    assert exc.value.code == "self_deactivation"


def test_last_admin_cannot_be_deactivated(admin):
    deputy = factories.admin()
    services.deactivate_user(actor=deputy, user_id=admin.pk)
    other = factories.UserFactory(role_codes=["handler"])
    other.roles.add(factories.role("admin"))
    services.deactivate_user(actor=other, user_id=deputy.pk)
    # `other` is now the only active admin; someone with people.manage only cannot touch an
    # administrator at all, and even a superuser outside the role cannot remove the last one.
    people_admin = services.create_role(
        actor=other, data={"name": "人事", "permissions": ["people.manage"]}
    )
    hr = factories.UserFactory()
    hr.roles.add(people_admin)
    with pytest.raises(PermissionDenied):
        services.deactivate_user(actor=hr, user_id=other.pk)
    root = factories.UserFactory(is_superuser=True)
    with pytest.raises(Conflict) as exc:
        services.deactivate_user(actor=root, user_id=other.pk)
    assert exc.value.code == "last_admin"


def test_only_people_managers_deactivate(db):
    handler = factories.handler()
    victim = factories.handler()
    with pytest.raises(PermissionDenied):
        services.deactivate_user(actor=handler, user_id=victim.pk)
    with pytest.raises(PermissionDenied):
        services.reactivate_user(actor=handler, user_id=victim.pk)


def test_reactivation_restores_dispatch_and_is_audited(admin, queue):
    person = factories.handler()
    factories.add_members(queue, person)
    services.deactivate_user(actor=admin, user_id=person.pk)
    assert person not in dispatch_candidates(queue)
    services.reactivate_user(actor=admin, user_id=person.pk)
    person.refresh_from_db()
    assert person.is_active
    assert person in dispatch_candidates(queue)
    entry = AuditEntry.objects.get(action="reactivate")
    assert entry.changes == {"is_active": [False, True]}
    with pytest.raises(Conflict) as exc:
        services.reactivate_user(actor=admin, user_id=person.pk)
    assert exc.value.code == "already_active"
