"""One fan-out task per ticket per transaction (andon.tickets.events): the task does every pending
event of its ticket, so a change that writes several events queues it once. Real commits."""

import pytest
from django.db import transaction

from andon.tickets import events
from andon.tickets.models import EventKind, TicketEvent
from andon.tickets.tasks import fanout_many_task, fanout_task
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued():
    """The ticket ids handed to the scheduler port, in order (nothing runs until the test
    runs the real task)."""
    calls = []
    events.set_fanout_scheduler(calls.append)
    yield calls
    events.set_fanout_scheduler(fanout_task, fanout_many_task)


def test_a_create_with_two_events_queues_one_task_that_does_both(
    entry, handlers, requester, queued
):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.DISPATCHED]
    assert queued == [ticket.pk]
    assert TicketEvent.objects.filter(ticket=ticket, fanout_pending=True).count() == 2
    fanout_task.call_local(ticket.pk)
    assert not TicketEvent.objects.filter(ticket=ticket, fanout_pending=True).exists()


def test_two_tickets_in_one_transaction_queue_one_task_each(entry, handlers, requester, queued):
    with transaction.atomic():
        first = factories.make_ticket(actor=requester, entry=entry)
        second = factories.make_ticket(actor=requester, entry=entry)
        assert queued == []  # nothing before the commit
    assert queued == [first.pk, second.pk]


def test_an_event_after_a_rolled_back_savepoint_still_queues(entry, handlers, requester, queued):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    queued.clear()
    with transaction.atomic():
        try:
            with transaction.atomic():
                events.record_event(ticket=ticket, kind=EventKind.UPDATED, actor=requester)
                raise RuntimeError("roll this savepoint back")
        except RuntimeError:
            pass
        events.record_event(ticket=ticket, kind=EventKind.UPDATED, actor=requester, note="kept")
    assert queued == [ticket.pk]
    assert list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.UPDATED).values_list(
            "note", flat=True
        )
    ) == ["kept"]
