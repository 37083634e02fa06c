import pytest

from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from andon.notifications.models import Notification
from andon.tickets import services
from andon.tickets.models import EventKind, Status
from tests import factories

# --- update ------------------------------------------------------------------------------------


def test_update_records_only_what_changed(ticket, handlers):
    factories.custom_field(ticket.catalog_entry, "floor")
    services.update_ticket(
        ticket_id=ticket.pk,
        actor=handlers[0],
        title="打印机无法连接",  # unchanged
        priority="L1",
        custom_fields={"floor": "3"},
    )
    ticket.refresh_from_db()
    assert ticket.priority == "L1"
    assert ticket.custom_fields == {"floor": "3"}
    event = ticket.events.last()
    assert event.kind == EventKind.UPDATED
    # Each edit also records the version it started from and the one it made.
    assert event.before == {"priority": "L3", "custom_fields": {}, "version": 1}
    assert event.after == {"priority": "L1", "custom_fields": {"floor": "3"}, "version": 2}
    assert ticket.version == 2


def test_update_without_a_change_writes_nothing(ticket, handlers):
    count = ticket.events.count()
    services.update_ticket(ticket_id=ticket.pk, actor=handlers[0], title=" 打印机无法连接 ")
    assert ticket.events.count() == count


def test_requester_may_edit_an_open_ticket(ticket, requester):
    services.update_ticket(ticket_id=ticket.pk, actor=requester, description="补充：三楼")
    ticket.refresh_from_db()
    assert ticket.description == "补充：三楼"


def test_update_reports_every_invalid_field(ticket, handlers):
    with pytest.raises(ValidationFailed) as exc:
        services.update_ticket(
            ticket_id=ticket.pk, actor=handlers[0], title="", priority="L7", custom_fields=[1]
        )
    assert set(exc.value.errors) == {"title", "priority", "custom_fields"}
    ticket.refresh_from_db()
    assert ticket.title == "打印机无法连接"


def test_update_refuses_fields_that_are_not_editable(ticket, handlers):
    with pytest.raises(ValidationFailed) as exc:
        services.update_ticket(ticket_id=ticket.pk, actor=handlers[0], status="done")
    assert exc.value.errors == {"status": ["不能修改"]}


# --- transfer ----------------------------------------------------------------------------------


@pytest.fixture
def second_queue(db):
    queue = factories.QueueFactory()
    people = [factories.handler(), factories.handler()]
    factories.add_members(queue, *people)
    return queue, people


def test_transfer_to_a_queue_redispatches_there(ticket_in, handlers, second_queue):
    target, people = second_queue
    ticket = ticket_in(Status.PROCESSING)
    services.transfer_ticket(
        ticket_id=ticket.pk, actor=handlers[0], queue_id=target.pk, note="网络组处理"
    )
    ticket.refresh_from_db()
    assert ticket.queue == target
    assert ticket.assignee == people[0]
    assert ticket.status == Status.PENDING
    transferred, dispatched = ticket.events.order_by("-id")[:2][::-1]
    assert transferred.kind == EventKind.TRANSFERRED
    assert transferred.note == "网络组处理"
    assert transferred.before["queue"]["id"] == ticket.catalog_entry.queue_id
    assert transferred.before["assignee"]["id"] == handlers[0].pk
    assert transferred.before["status"] == "processing"
    assert transferred.after == {
        "queue": {"id": target.pk, "name": target.name},
        "assignee": None,
        "status": "pending",
    }
    assert dispatched.kind == EventKind.DISPATCHED
    assert dispatched.after["assignee"]["id"] == people[0].pk


def test_transfer_to_a_person_waits_for_them_to_accept(ticket_in, handlers):
    ticket = ticket_in(Status.PROCESSING)
    services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], assignee_id=handlers[2].pk)
    ticket.refresh_from_db()
    assert ticket.assignee == handlers[2]
    assert ticket.status == Status.PENDING
    assert ticket.events.last().kind == EventKind.TRANSFERRED
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[2])
    ticket.refresh_from_db()
    assert ticket.status == Status.PROCESSING


def test_transfer_to_a_person_in_another_queue(ticket_in, handlers, second_queue):
    target, people = second_queue
    ticket = ticket_in(Status.PROCESSING)
    services.transfer_ticket(
        ticket_id=ticket.pk, actor=handlers[0], queue_id=target.pk, assignee_id=people[1].pk
    )
    ticket.refresh_from_db()
    assert (ticket.queue, ticket.assignee) == (target, people[1])
    # The new assignee, not in the old queue, can accept it.
    services.claim_ticket(ticket_id=ticket.pk, actor=people[1])


def test_transfer_to_someone_outside_the_queue_is_refused(ticket_in, handlers, second_queue):
    _target, people = second_queue
    ticket = ticket_in(Status.PROCESSING)
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], assignee_id=people[0].pk)
    assert list(exc.value.errors) == ["assignee"]


def test_transfer_to_a_deactivated_person_is_refused(ticket_in, handlers):
    ticket = ticket_in(Status.PROCESSING)
    handlers[2].is_active = False
    handlers[2].save()
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], assignee_id=handlers[2].pk)
    assert list(exc.value.errors) == ["assignee"]


def test_transfer_to_the_current_assignee_conflicts(ticket_in, handlers):
    ticket = ticket_in(Status.PROCESSING)
    with pytest.raises(Conflict) as exc:
        services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], assignee_id=handlers[0].pk)
    assert exc.value.code == "same_assignee"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({}, "queue"), ({"queue_id": 987_654}, "queue"), ({"queue_id": "x"}, "queue")],
)
def test_transfer_target_is_validated(ticket_in, handlers, kwargs, field):
    ticket = ticket_in(Status.PROCESSING)
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], **kwargs)
    assert list(exc.value.errors) == [field]


def test_transfer_to_a_disabled_queue_is_refused(ticket_in, handlers, second_queue):
    target, _people = second_queue
    target.is_enabled = False
    target.save()
    ticket = ticket_in(Status.PROCESSING)
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], queue_id=target.pk)
    assert list(exc.value.errors) == ["queue"]
    ticket.refresh_from_db()
    assert ticket.status == Status.PROCESSING


def test_transfer_to_a_queue_tells_the_new_assignee_not_the_whole_queue(
    ticket_in, handlers, second_queue
):
    target, people = second_queue
    ticket = ticket_in(Status.PROCESSING)
    services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], queue_id=target.pk)
    transferred, dispatched = ticket.events.order_by("-id")[:2][::-1]
    assert not Notification.objects.filter(event=transferred).exists()
    assert list(
        Notification.objects.filter(event=dispatched).values_list("recipient", flat=True)
    ) == [people[0].pk]


def test_transfer_to_a_manual_queue_tells_its_members(
    ticket_in, handlers, pool_queue, pool_members
):
    ticket = ticket_in(Status.PROCESSING)
    services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], queue_id=pool_queue.pk)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    event = ticket.events.last()
    assert event.kind == EventKind.UNDISPATCHED
    assert event.after["reason"] == "manual"
    assert set(Notification.objects.filter(event=event).values_list("recipient", flat=True)) == {
        p.pk for p in pool_members
    }


def test_handing_a_ticket_back_to_the_queue_gives_it_to_someone_else(ticket_in, handlers):
    ticket = ticket_in(Status.PROCESSING)  # handlers[0] has it; rotation would pick them next
    services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], queue_id=ticket.queue_id)
    ticket.refresh_from_db()
    assert ticket.assignee == handlers[1]
    assert ticket.status == Status.PENDING


def test_handing_back_when_nobody_else_is_available_leaves_it_in_the_pool(ticket_in, handlers):
    ticket = ticket_in(Status.PROCESSING)
    for person in handlers[1:]:
        person.is_available = False
        person.save()
    services.transfer_ticket(ticket_id=ticket.pk, actor=handlers[0], queue_id=ticket.queue_id)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.last().after["reason"] == "nobody_available"


def test_a_manual_queue_member_can_release_a_ticket_to_the_pool(
    pool_ticket, pool_members, pool_queue
):
    services.claim_ticket(ticket_id=pool_ticket.pk, actor=pool_members[0])
    services.transfer_ticket(
        ticket_id=pool_ticket.pk, actor=pool_members[0], queue_id=pool_queue.pk
    )
    pool_ticket.refresh_from_db()
    assert pool_ticket.assignee is None
    assert pool_ticket.status == Status.PENDING
    services.claim_ticket(ticket_id=pool_ticket.pk, actor=pool_members[1])


def test_reassign_hands_over_as_is_and_logs_it(ticket_in, handlers):
    ticket = ticket_in(Status.NEED_INFO)
    manager = factories.admin()
    successor = factories.handler()
    with pytest.raises(PermissionDenied):
        services.reassign_ticket(ticket_id=ticket.pk, actor=handlers[0], to_user=successor)
    services.reassign_ticket(ticket_id=ticket.pk, actor=manager, to_user=successor, note="离职交接")
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (successor, Status.NEED_INFO)
    event = ticket.events.filter(kind=EventKind.TRANSFERRED).get()
    assert event.after["handover"] is True and event.note == "离职交接"
    assert event.before["assignee"]["id"] == handlers[0].pk
    services.close_ticket(ticket_id=ticket.pk, actor=manager)
    with pytest.raises(Conflict):
        services.reassign_ticket(ticket_id=ticket.pk, actor=manager, to_user=handlers[1])
