"""A chunk of due steps costs a fixed number of queries, however many steps it holds: the
catch-up's throughput rests on it (bench/ola_bench.py)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from andon.notifications.models import Notification, OutboxMessage
from andon.ola import engine
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer
from andon.tickets.models import TicketEvent
from tests import factories


@pytest.fixture
def desk(db):
    calendar = BusinessCalendar.objects.create(
        name="全天候",
        time_zone="Asia/Shanghai",
        weekly_windows={
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        follows_china_holidays=False,
    )
    assigned = factories.QueueFactory(name="有人处理")
    factories.add_members(assigned, factories.handler(), factories.handler())
    pool = factories.QueueFactory(name="工单池")
    for queue in (assigned, pool):
        OlaPolicy.objects.create(queue=queue, calendar=calendar, response_minutes={"L3": 60})
    return {"assigned": assigned, "pool": pool, "requester": factories.requester()}


def due_steps(desk, count: int, queue_key: str) -> list[tuple[int, str]]:
    entry = factories.catalog_leaf(desk[queue_key])
    tickets = [
        factories.make_ticket(actor=desk["requester"], entry=entry, title=f"批量 {n}")
        for n in range(count)
    ]
    timers = list(OlaTimer.objects.filter(ticket__in=tickets, metric="response"))
    now = timezone.now()
    for timer in timers:
        timer.warn_at = timer.next_action_at = now
        timer.token = uuid.uuid4().hex
    OlaTimer.objects.bulk_update(timers, ["warn_at", "next_action_at", "token"])
    return [(t.pk, t.token) for t in timers]


def queries_for(steps) -> int:
    with CaptureQueriesContext(connection) as ctx:
        outcomes = engine.run_steps(steps=steps)
    assert outcomes == {"warned": len(steps)}
    return len([q for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])


def test_a_chunk_costs_the_same_queries_for_3_steps_as_for_30(desk):
    queries_for(due_steps(desk, 1, "assigned"))  # fills the configuration caches
    small = queries_for(due_steps(desk, 3, "assigned"))
    large = queries_for(due_steps(desk, 30, "assigned"))
    assert large == small
    assert small <= 12
    assert Alert.objects.filter(level=0).count() == 34
    assert TicketEvent.objects.filter(kind="ola_warning").count() == 34
    assert Notification.objects.filter(kind="ola_warning").count() == 34
    assert OutboxMessage.objects.filter(key__startswith="ola:").count() == 34


def test_a_pool_chunk_reads_the_queue_members_once_and_alerts_each(desk):
    """Tickets nobody is assigned to warn every member of their queue."""
    warm, small, large = (due_steps(desk, n, "pool") for n in (1, 2, 20))
    # Members join after the tickets were filed, so nobody was assigned them.
    members = [factories.handler(), factories.handler(), factories.handler()]
    factories.add_members(desk["pool"], *members)
    queries_for(warm)
    assert queries_for(large) == queries_for(small)
    assert OlaTimer.objects.filter(ticket__assignee__isnull=False).count() == 0
    assert Alert.objects.filter(level=0).count() == 23 * len(members)
    assert Notification.objects.filter(kind="ola_warning").count() == 23 * len(members)
    for event in TicketEvent.objects.filter(kind="ola_warning"):
        assert sorted(r["id"] for r in event.after["recipients"]) == sorted(m.pk for m in members)
