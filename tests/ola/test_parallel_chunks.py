"""Chunks of due steps run in parallel: two real workers (Huey consumers on Redis) against
PostgreSQL are handed the same due timers twice over, in overlapping chunks — what a sweep does
when a lease runs out while the first chunk still waits in the queue — and every timer is still
warned exactly once: one alert row, one event, one notification and one outbox copy each.

A second test runs two overlapping chunks in two threads of this process at the same moment, so
the chunks' row locks (SKIP LOCKED) are what keeps them apart, not the queue's timing."""

import os
import socket
import subprocess
import threading
import uuid

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from andon.notifications.models import Notification, OutboxMessage
from andon.ola import engine
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer
from andon.tickets.models import TicketEvent
from tests import factories
from tests.processes import start_worker, wait_for

TIMERS = 120
REDIS_URL = "redis://127.0.0.1:6379/5"

pytestmark = pytest.mark.django_db(transaction=True)


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def due_response_timers(count: int) -> list[tuple[int, str]]:
    """`count` tickets in a queue with a policy, their response warnings all due now."""
    calendar = BusinessCalendar.objects.create(
        name=f"chunks-{uuid.uuid4().hex[:6]}",
        time_zone="Asia/Shanghai",
        weekly_windows={
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        follows_china_holidays=False,
    )
    queue = factories.QueueFactory()
    # Two members: dispatch assigns each ticket to one of them, who is warned.
    factories.add_members(queue, factories.handler(), factories.handler())
    OlaPolicy.objects.create(queue=queue, calendar=calendar, response_minutes={"L3": 60})
    entry = factories.catalog_leaf(queue)
    requester = factories.requester()
    for n in range(count):
        factories.make_ticket(actor=requester, entry=entry, title=f"并行 {n}")
    now = timezone.now()
    timers = list(OlaTimer.objects.filter(metric="response").order_by("id"))
    for timer in timers:
        timer.warn_at = timer.next_action_at = now
        timer.token = uuid.uuid4().hex
    OlaTimer.objects.bulk_update(timers, ["warn_at", "next_action_at", "token"])
    return [(t.pk, t.token) for t in timers]


def assert_warned_once(count: int) -> None:
    alerts = Alert.objects.filter(level=0)
    assert alerts.count() == count
    assert alerts.values("timer").distinct().count() == count
    assert TicketEvent.objects.filter(kind="ola_warning").count() == count
    assert Notification.objects.filter(kind="ola_warning").count() == count
    outbox = OutboxMessage.objects.filter(key__startswith="ola:")
    assert outbox.count() == count  # the assignee's e-mail
    assert outbox.values("key").distinct().count() == outbox.count()
    assert set(OlaTimer.objects.filter(metric="response").values_list("level", flat=True)) == {0}


def test_two_workers_share_overlapping_chunks_and_alert_each_step_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (runs in the PostgreSQL pass of make test)")
    assert redis_available(), "Redis must run on 127.0.0.1:6379 for this test"
    from huey import RedisHuey

    from andon.ola.tasks import ola_steps_task

    steps = due_response_timers(TIMERS)
    name = f"andon-chunks-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": name,
        "ANDON_DATA_DIR": str(tmp_path),
        "HUEY_IMMEDIATE": "0",
    }
    client = RedisHuey(name=name, url=REDIS_URL)
    client._registry.register(ola_steps_task.task_class)
    # Every step twice, in chunks that straddle each other: 0–39, 20–59, 40–79, ...
    for start in range(0, TIMERS, 20):
        client.enqueue(ola_steps_task.s(steps[start : start + 40]))
    log = tmp_path / "workers.log"
    args = ("--workers", "2", "--no-periodic")
    workers = [start_worker(env, log, *args), start_worker(env, log, *args)]
    try:
        done = wait_for(
            lambda: not client.pending_count()
            and not OlaTimer.objects.filter(metric="response", level=-1).exists(),
            timeout=120,
            interval=0.5,
        )
        assert done, log.read_text()[-3000:]
        # The duplicate chunks still queued or running finish before we count.
        assert wait_for(lambda: not client.pending_count(), timeout=30)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        client.flush()
    assert_warned_once(TIMERS)


def test_two_chunks_at_once_split_the_rows_between_them():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers anyway")
    steps = due_response_timers(60)
    barrier = threading.Barrier(2)
    results = []

    def run(chunk):
        try:
            barrier.wait(timeout=10)
            results.append(engine.run_steps(steps=chunk))
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=run, args=(steps,)),
        threading.Thread(target=run, args=(list(reversed(steps)),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    # Each row was warned by exactly one of the two; the other saw it locked or already done.
    assert sum(r.get("warned", 0) for r in results) == 60
    assert_warned_once(60)
