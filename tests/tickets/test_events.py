"""The ticket event pipeline: one registry of subscribers, two phases (andon.tickets.events)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from andon.knowledge.models import TicketSearch
from andon.tickets import events, services
from andon.tickets.models import EventKind, Ticket, TicketEvent
from andon.tickets.tasks import fanout_sweep_task, fanout_task
from tests import factories


@pytest.fixture
def subscriber():
    """Register temporary subscribers; they are removed after the test."""
    names = []

    def register(name, handler, *, phase=events.IN_TRANSACTION, kinds=None):
        events.subscribe(name, handler, phase=phase, kinds=kinds)
        names.append(name)

    yield register
    for name in names:
        events.unsubscribe(name)


def test_apps_register_their_subscribers_in_installed_apps_order():
    registered = [(s.name, s.phase) for s in events.subscribers()]
    assert registered[:4] == [
        ("notifications", events.IN_TRANSACTION),
        ("ola", events.IN_TRANSACTION),
        ("reports.rollup", events.AFTER_COMMIT),
        ("knowledge.search", events.AFTER_COMMIT),
    ]


def test_subscribers_run_in_registration_order_and_a_name_keeps_its_place(
    subscriber, entry, handlers, requester
):
    calls = []
    subscriber("test.first", lambda *, ticket, event: calls.append(("first", event.kind)))
    subscriber("test.second", lambda *, ticket, event: calls.append(("second", event.kind)))
    subscriber(
        "test.first",
        lambda *, ticket, event: calls.append(("first again", event.kind)),
        kinds={EventKind.CREATED},
    )
    names = [s.name for s in events.subscribers()]
    assert names.index("test.first") < names.index("test.second")
    factories.make_ticket(actor=requester, entry=entry)
    assert calls == [
        ("first again", EventKind.CREATED),
        ("second", EventKind.CREATED),
        ("second", EventKind.DISPATCHED),
    ]


def test_an_unknown_phase_is_refused():
    with pytest.raises(ValueError):
        events.subscribe("test.bad", lambda **kw: None, phase="later")


def test_a_failing_in_transaction_subscriber_rolls_the_change_back(
    subscriber, entry, handlers, requester
):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    count = TicketEvent.objects.count()

    def broken(*, ticket, event):
        if event.kind == EventKind.COMMENTED:
            raise RuntimeError("subscriber down")

    subscriber("test.broken", broken)
    with pytest.raises(RuntimeError):
        services.add_comment(ticket_id=ticket.pk, actor=requester, body="还在吗")
    assert TicketEvent.objects.count() == count
    assert not TicketEvent.objects.filter(kind=EventKind.COMMENTED).exists()


def test_after_commit_subscribers_run_once_the_change_commits(
    subscriber, entry, handlers, requester, django_capture_on_commit_callbacks
):
    seen = []
    subscriber(
        "test.after",
        lambda *, ticket, event: seen.append((event.kind, ticket.status)),
        phase=events.AFTER_COMMIT,
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket = factories.make_ticket(actor=requester, entry=entry)
        assert seen == []  # nothing before the commit
        assert set(
            TicketEvent.objects.filter(ticket=ticket).values_list("fanout_pending", flat=True)
        ) == {True}
    assert callbacks
    assert seen == [(EventKind.CREATED, "pending"), (EventKind.DISPATCHED, "pending")]
    assert not TicketEvent.objects.filter(fanout_pending=True).exists()
    fanout_task.call_local(ticket.pk)  # a repeated task finds nothing left to do
    assert len(seen) == 2


def test_events_no_after_commit_subscriber_wants_are_not_pending(entry, handlers, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    saved = events.subscribers(events.AFTER_COMMIT)
    for s in saved:
        events.unsubscribe(s.name)
    try:
        services.add_comment(ticket_id=ticket.pk, actor=requester, body="补充")
    finally:
        for s in saved:
            events.subscribe(s.name, s.handler, phase=s.phase, kinds=s.kinds)
    assert not TicketEvent.objects.get(kind=EventKind.COMMENTED).fanout_pending


def test_the_sweeper_fans_out_what_was_never_queued(subscriber, entry, handlers, requester):
    """No on_commit runs here (the test's transaction never commits): like a process that died
    between commit and enqueue, the pending flags are all that is left."""
    seen = []
    subscriber(
        "test.after",
        lambda *, ticket, event: seen.append(event.kind),
        phase=events.AFTER_COMMIT,
    )
    factories.make_ticket(actor=requester, entry=entry)
    assert events.sweep_fanout() == 0  # within the grace the queued task still has
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        fanout_sweep_task.call_local()
    assert seen == [EventKind.CREATED, EventKind.DISPATCHED]
    assert events.sweep_fanout(now=timezone.now() + timedelta(minutes=5)) == 0
    assert seen == [EventKind.CREATED, EventKind.DISPATCHED]


def test_a_failing_after_commit_subscriber_keeps_the_events_pending(
    subscriber, entry, handlers, requester
):
    fail = [True]
    seen = []

    def flaky(*, ticket, event):
        if fail[0]:
            raise RuntimeError("index down")
        seen.append(event.kind)

    subscriber("test.flaky", flaky, phase=events.AFTER_COMMIT)
    ticket = factories.make_ticket(actor=requester, entry=entry)
    later = timezone.now() + timedelta(minutes=2)
    assert events.sweep_fanout(now=later) == 0
    assert Ticket.objects.filter(pk=ticket.pk).exists()  # the committed change stands
    assert TicketEvent.objects.filter(ticket=ticket, fanout_pending=True).count() == 2
    fail[0] = False
    assert events.sweep_fanout(now=later) == 2
    assert seen == [EventKind.CREATED, EventKind.DISPATCHED]


@pytest.mark.django_db(transaction=True)
def test_real_commits_index_the_ticket_through_the_worker_task(entry, handlers, requester):
    """Real commits: on_commit queues the Huey task (immediate in tests), which indexes."""
    ticket = factories.make_ticket(actor=requester, entry=entry, title="VPN 证书过期")
    services.resolve_ticket(ticket_id=ticket.pk, actor=ticket.assignee, resolution="更新证书")
    assert TicketSearch.objects.filter(ticket=ticket).exists()
    assert not TicketEvent.objects.filter(fanout_pending=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_lost_enqueue_is_caught_by_the_sweeper(entry, handlers, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry, title="VPN 证书过期")
    events.set_fanout_scheduler(None)  # the queue lost the task
    try:
        services.resolve_ticket(ticket_id=ticket.pk, actor=ticket.assignee, resolution="更新证书")
    finally:
        events.set_fanout_scheduler(fanout_task)
    assert not TicketSearch.objects.filter(ticket=ticket).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        fanout_sweep_task.call_local()
    assert TicketSearch.objects.filter(ticket=ticket).exists()
    assert not TicketEvent.objects.filter(fanout_pending=True).exists()


def test_record_events_inserts_once_and_hands_batch_subscribers_the_whole_batch(
    subscriber, entry, handlers, requester
):
    first = factories.make_ticket(actor=requester, entry=entry)
    second = factories.make_ticket(actor=requester, entry=entry)
    one_by_one, batches = [], []
    subscriber("test.single", lambda *, ticket, event: one_by_one.append((ticket.pk, event.note)))
    events.subscribe(
        "test.batch",
        lambda *, ticket, event: pytest.fail("a batch subscriber is called with the batch"),
        phase=events.IN_TRANSACTION,
        kinds={EventKind.COMMENTED},
        batch_handler=lambda *, items: batches.append([(t.pk, e.note) for t, e in items]),
    )
    try:
        recorded = events.record_events(
            [
                {"ticket": first, "kind": EventKind.COMMENTED, "actor": None, "note": "a"},
                {"ticket": second, "kind": EventKind.COMMENTED, "actor": None, "note": "b"},
                {"ticket": first, "kind": EventKind.URGED, "actor": None, "note": "c"},
            ]
        )
    finally:
        events.unsubscribe("test.batch")
    assert [e.pk is not None for e in recorded] == [True, True, True]
    assert one_by_one == [(first.pk, "a"), (second.pk, "b"), (first.pk, "c")]
    assert batches == [[(first.pk, "a"), (second.pk, "b")]]  # only the kinds it wants
    assert TicketEvent.objects.filter(note__in=["a", "b", "c"]).count() == 3
