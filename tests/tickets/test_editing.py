"""Editing a ticket: every change logged old -> new, a catalog move re-validated and re-dispatched
with a transfer's OLA rules, and concurrent edits merged or refused (409), never overwritten."""

import pytest

from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from andon.ola.models import OlaPolicy, OlaTimer
from andon.tickets import services
from andon.tickets.models import EventKind, Status, Ticket
from tests import factories
from tests.ola.test_engine import all_week_calendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(queue, handlers, entry, requester):
    factories.custom_field(entry, "floor", name="楼层")
    ticket = factories.make_ticket(
        actor=requester, entry=entry, title="打印机卡纸", custom_fields={"floor": "3"}
    )
    services.claim_ticket(ticket_id=ticket.pk, actor=ticket.assignee)
    return Ticket.objects.get(pk=ticket.pk)


def test_each_change_is_logged_with_old_and_new_values(held):
    services.update_ticket(
        ticket_id=held.pk,
        actor=held.assignee,
        title="打印机反复卡纸",
        priority="L2",
        custom_fields={"floor": "5"},
        version=1,
    )
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.version == 2
    event = ticket.events.filter(kind=EventKind.UPDATED).get()
    assert event.before == {
        "title": "打印机卡纸",
        "priority": "L3",
        "custom_fields": {"floor": "3"},
        "version": 1,
    }
    assert event.after["title"] == "打印机反复卡纸" and event.after["custom_fields"] == {
        "floor": "5"
    }


def test_the_same_field_edited_twice_from_one_version_is_a_conflict(held, requester):
    owner = held.assignee
    services.update_ticket(ticket_id=held.pk, actor=owner, title="第一人的标题", version=1)
    with pytest.raises(Conflict) as conflict:
        services.update_ticket(ticket_id=held.pk, actor=requester, title="第二人的标题", version=1)
    assert conflict.value.code == "edit_conflict"
    assert owner.name in conflict.value.detail and "标题" in conflict.value.detail
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.title == "第一人的标题" and ticket.version == 2  # nothing half-written
    assert ticket.events.filter(kind=EventKind.UPDATED).count() == 1


def test_different_fields_from_one_version_merge(held, requester):
    """The second editor's form still carries the old title (they did not touch it): the first
    editor's title stands, the second editor's priority is applied."""
    owner = held.assignee
    services.update_ticket(ticket_id=held.pk, actor=owner, title="新标题", version=1)
    services.update_ticket(
        ticket_id=held.pk, actor=requester, title="打印机卡纸", priority="L1", version=1
    )
    ticket = Ticket.objects.get(pk=held.pk)
    assert (ticket.title, ticket.priority, ticket.version) == ("新标题", "L1", 3)
    # custom fields merge key by key the same way
    factories.custom_field(ticket.catalog_entry, "room", name="房间")
    services.update_ticket(ticket_id=held.pk, actor=owner, custom_fields={"floor": "9"}, version=3)
    services.update_ticket(
        ticket_id=held.pk, actor=requester, custom_fields={"floor": "3", "room": "301"}, version=3
    )
    assert Ticket.objects.get(pk=held.pk).custom_fields == {"floor": "9", "room": "301"}
    with pytest.raises(Conflict):
        services.update_ticket(
            ticket_id=held.pk, actor=requester, custom_fields={"floor": "7"}, version=3
        )


def test_the_same_change_twice_is_no_conflict(held, requester):
    services.update_ticket(ticket_id=held.pk, actor=held.assignee, priority="L1", version=1)
    services.update_ticket(ticket_id=held.pk, actor=requester, priority="L1", version=1)
    assert Ticket.objects.get(pk=held.pk).version == 2


def test_bad_versions_are_refused(held):
    for bad in ("abc", -1, 0, True, "9" * 12):
        with pytest.raises(ValidationFailed):
            services.update_ticket(ticket_id=held.pk, actor=held.assignee, title="x", version=bad)
    with pytest.raises(Conflict):  # from the future
        services.update_ticket(ticket_id=held.pk, actor=held.assignee, title="x", version=7)
    # If-Match style values are understood
    services.update_ticket(ticket_id=held.pk, actor=held.assignee, title="好", version='W/"1"')
    assert Ticket.objects.get(pk=held.pk).title == "好"


@pytest.fixture
def network(db):
    """Another queue with an OLA policy, a member, and an entry that requires a field."""
    other = factories.QueueFactory(name="网络组")
    engineer = factories.handler(username="net")
    factories.add_members(other, engineer)
    OlaPolicy.objects.create(
        queue=other,
        calendar=all_week_calendar(),
        response_minutes={"L3": 30},
        resolution_minutes={"L3": 120},
    )
    entry = factories.catalog_leaf(other, name="无线网络")
    factories.custom_field(entry, "ssid", name="SSID", required=True)
    return {"queue": other, "engineer": engineer, "entry": entry}


def test_moving_to_an_entry_of_another_queue_redispatches(queue, entry, requester, network):
    OlaPolicy.objects.create(
        queue=queue,
        calendar=all_week_calendar("旧队列日历"),
        response_minutes={"L3": 60},
        resolution_minutes={"L3": 240},
    )
    factories.add_members(queue, factories.handler())
    factories.custom_field(entry, "floor", name="楼层")
    held = factories.make_ticket(actor=requester, entry=entry, custom_fields={"floor": "3"})
    owner = held.assignee
    services.claim_ticket(ticket_id=held.pk, actor=owner)
    assert OlaTimer.objects.filter(ticket=held, queue=queue, active=True).count() == 1
    # required field of the new entry missing: refused, nothing changed
    with pytest.raises(ValidationFailed) as missing:
        services.update_ticket(ticket_id=held.pk, actor=owner, catalog_entry=network["entry"].pk)
    assert "custom_fields.ssid" in missing.value.errors
    assert Ticket.objects.get(pk=held.pk).catalog_entry_id == held.catalog_entry_id

    services.update_ticket(
        ticket_id=held.pk,
        actor=owner,
        catalog_entry=network["entry"].pk,
        custom_fields={"ssid": "CORP-5G"},
    )
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.catalog_entry == network["entry"] and ticket.queue == network["queue"]
    assert ticket.assignee == network["engineer"] and ticket.status == Status.PENDING
    # the old entry's field is dropped (kept in the event), the new one's is set
    assert ticket.custom_fields == {"ssid": "CORP-5G"}
    kinds = list(ticket.events.order_by("id").values_list("kind", flat=True))[-3:]
    assert kinds == [EventKind.UPDATED, EventKind.TRANSFERRED, EventKind.DISPATCHED]
    update = ticket.events.get(kind=EventKind.UPDATED)
    assert update.before["catalog_entry"]["id"] == held.catalog_entry_id
    assert update.before["custom_fields"] == {"floor": "3"}
    # OLA: the new queue's clocks run; none of the old queue's is still live
    live = OlaTimer.objects.filter(ticket=ticket, active=True)
    assert set(live.values_list("queue_id", flat=True)) == {network["queue"].pk}
    assert live.count() == 2
    old = OlaTimer.objects.get(ticket=ticket, queue=queue, metric="resolution")
    assert not old.active and old.stopped_reason == "transferred"


def test_a_move_within_the_queue_only_relabels(held, queue):
    sibling = factories.catalog_leaf(queue, name="扫描仪")
    assignee = held.assignee
    services.update_ticket(ticket_id=held.pk, actor=assignee, catalog_entry=sibling.pk)
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.catalog_entry == sibling and ticket.assignee == assignee
    assert ticket.status == Status.PROCESSING
    assert not ticket.events.filter(kind=EventKind.TRANSFERRED).exists()


def test_only_the_handling_side_moves_a_ticket(held, network, requester):
    with pytest.raises(PermissionDenied):
        services.update_ticket(
            ticket_id=held.pk,
            actor=requester,
            catalog_entry=network["entry"].pk,
            custom_fields={"ssid": "x"},
        )
    for bad in ("abc", 10**12, held.catalog_entry.parent_id):
        with pytest.raises(ValidationFailed):
            services.update_ticket(ticket_id=held.pk, actor=held.assignee, catalog_entry=bad)
