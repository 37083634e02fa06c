"""Fault test: two real workers (Huey consumers on Redis) against PostgreSQL; one is killed with
SIGKILL in the middle of a burst of due OLA steps. After a restart, every due alert was written
exactly once and every alert's webhook copy was delivered.

Why delivery can repeat at all: a worker killed between a webhook's HTTP response and its commit
leaves the message pending, and the sweeper sends it again with the same X-Andon-Delivery id (the
receiver's idempotency key). The alert itself, its in-app notification and its outbox row are
database rows with unique keys and are never duplicated.
"""

import os
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from andon.notifications.models import Notification, OutboxMessage, Webhook
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer
from andon.tickets.models import TicketEvent
from tests import factories
from tests.http_receiver import Receiver
from tests.processes import start_worker, wait_for

ROOT = Path(__file__).resolve().parents[2]
BURST = 150
WORKER_THREADS = 4
WORKER_ARGS = ("--workers", str(WORKER_THREADS))
REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.django_db(transaction=True)


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_killed_worker_loses_no_alert_and_duplicates_none(receiver, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (runs in the PostgreSQL pass of make test)")
    assert redis_available(), "Redis must run on 127.0.0.1:6379 for this test"
    from huey import RedisHuey

    from andon.ola.tasks import ola_step_task

    # A desk with a policy and one handler per ticket queue; tickets through the services.
    calendar = BusinessCalendar.objects.create(
        name="fault-7x24",
        time_zone="Asia/Shanghai",
        weekly_windows={
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        follows_china_holidays=False,
    )
    queue = factories.QueueFactory()
    handler = factories.handler(email="")  # webhook copies only: no SMTP server here
    factories.add_members(queue, handler)
    OlaPolicy.objects.create(queue=queue, calendar=calendar, response_minutes={"L3": 60})
    Webhook.objects.create(name="监控", url=receiver.url, secret="k", events=["ola.warning"])
    entry = factories.catalog_leaf(queue)
    requester = factories.requester()
    for n in range(BURST):
        factories.make_ticket(actor=requester, entry=entry, title=f"故障 {n}")
    timers = OlaTimer.objects.filter(metric="response")
    assert timers.count() == BURST
    # Make every warning due now, with a fresh token the steps below carry.
    now = timezone.now()
    for timer in timers:
        timer.warn_at = timer.next_action_at = now
        timer.token = uuid.uuid4().hex
        timer.save(update_fields=["warn_at", "next_action_at", "token"])

    name = f"andon-fault-{uuid.uuid4().hex[:8]}"
    settings_db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings_db['USER']}@{settings_db['HOST'] or 'localhost'}:"
        f"{settings_db['PORT'] or 5432}/{settings_db['NAME']}",
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": name,
        "ANDON_DATA_DIR": str(tmp_path),
        "HUEY_IMMEDIATE": "0",
        "ANDON_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on loopback
        # Sends in flight when the worker dies are claimed; they go again once the claim lapses.
        "ANDON_OUTBOX_LEASE_SECONDS": "15",
    }
    ola_outbox = OutboxMessage.objects.filter(channel="webhook", key__contains=":ola:")
    queue_client = RedisHuey(name=name, url=REDIS_URL)
    queue_client._registry.register(ola_step_task.task_class)
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log, *WORKER_ARGS), start_worker(env, log, *WORKER_ARGS)]

    def alerts_received():
        return [r for r in receiver.requests if r["headers"].get("X-Andon-Event") == "ola.warning"]

    try:
        for timer_id, token in timers.values_list("pk", "token"):
            queue_client.enqueue(ola_step_task.s(timer_id, token))
        # Kill one worker in the middle of the burst.
        assert wait_for(lambda: len(alerts_received()) >= BURST // 5, timeout=60), log.read_text()
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        delivered_at_kill = len(alerts_received())
        assert delivered_at_kill < BURST, "the burst finished before the kill; raise BURST"
        workers[0] = start_worker(env, log, *WORKER_ARGS)
        # Lost tasks are picked up by the per-minute sweepers: allow a little over two minutes.
        done = wait_for(
            lambda: not ola_outbox.exclude(state=OutboxMessage.State.SENT).exists()
            and not OlaTimer.objects.filter(metric="response", level=-1).exists(),
            timeout=150,
            interval=1,
        )
        assert done, (
            OlaTimer.objects.filter(metric="response", level=-1).count(),
            ola_outbox.exclude(state="sent").count(),
            log.read_text()[-3000:],
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        queue_client.flush()

    # Every due alert written exactly once ...
    assert TicketEvent.objects.filter(kind="ola_warning").count() == BURST
    assert Alert.objects.filter(level=0).count() == BURST
    assert Notification.objects.filter(kind="ola_warning").count() == BURST
    assert set(OlaTimer.objects.filter(metric="response").values_list("level", flat=True)) == {0}
    # ... and delivered: one outbox row per alert, all sent, each received by the webhook.
    messages = ola_outbox
    assert messages.count() == BURST
    received = [r["headers"].get("X-Andon-Delivery") for r in alerts_received()]
    assert set(received) == set(messages.values_list("key", flat=True))
    # Repeats are possible only for sends in flight when the worker died.
    assert len(received) - len(set(received)) <= WORKER_THREADS
