"""OLA engine benchmark: sweep cost with 100,000 open tickets, and the delay between a timer's due
time and its alert being written by a real worker.

    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        python bench/ola_bench.py

Needs the tickets made by bench/generate.py. It gives the bench queues a policy, creates one
running response timer for each of up to --open open tickets (bulk), then measures:
1. a sweep when nothing is due;
2. a sweep when --due steps are due (warnings written in the sweeping process);
3. with `andon worker` running on Redis: --delay-samples steps scheduled for exact times a few
   seconds ahead; the delay is Alert.created_at minus the step's due time (p50/p99).
Everything it creates is removed at the end (timers, alerts, their events and notifications).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from andon.notifications.models import Notification  # noqa: E402
from andon.ola import engine  # noqa: E402
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer  # noqa: E402
from andon.queues.models import Queue  # noqa: E402
from andon.tickets.models import OPEN_STATUSES, Ticket, TicketEvent  # noqa: E402

BENCH_TAG = "bench-ola"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def cleanup() -> None:
    timers = OlaTimer.objects.filter(stopped_reason=BENCH_TAG)
    ids = list(timers.values_list("pk", flat=True))
    events = TicketEvent.objects.filter(kind__startswith="ola_", after__timer__in=ids)
    Notification.objects.filter(event__in=events).delete()
    events.delete()
    Alert.objects.filter(timer_id__in=ids).delete()
    timers.delete()


def make_timers(count: int) -> list[int]:
    calendar = BusinessCalendar.objects.get(is_builtin=True)
    queues = list(Queue.objects.filter(name__startswith="压测队列"))
    for queue in queues:
        OlaPolicy.objects.get_or_create(queue=queue, defaults={"calendar": calendar})
    snapshot = engine.policy_snapshot(OlaPolicy.objects.filter(queue__in=queues).first())
    tickets = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, queue__in=queues)
        .order_by("-id")
        .values_list("pk", "queue_id")[:count]
    )
    now = timezone.now()
    later = now + timedelta(days=30)
    OlaTimer.objects.bulk_create(
        [
            OlaTimer(
                ticket_id=ticket_id,
                queue_id=queue_id,
                metric="response",
                policy=snapshot,
                target_seconds=3600,
                started_at=now,
                due_at=later,
                warn_at=later,
                next_action_at=later,
                token=uuid.uuid4().hex,
                created_at=now,
                stopped_reason=BENCH_TAG,  # marks bench rows for cleanup; the engine ignores it
            )
            for ticket_id, queue_id in tickets
        ],
        batch_size=5000,
    )
    return list(OlaTimer.objects.filter(stopped_reason=BENCH_TAG).values_list("pk", flat=True))


def timed_sweep() -> tuple[float, int]:
    started = time.perf_counter()
    done = engine.sweep(limit=100_000)
    return time.perf_counter() - started, done


def delay_run(timer_ids: list[int], samples: int) -> list[float]:
    from huey import RedisHuey
    from huey.utils import normalize_time

    from andon.ola.tasks import ola_step_task

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    name = f"andon-bench-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "REDIS_URL": redis_url, "HUEY_NAME": name}
    log = open(os.environ.get("ANDON_BENCH_WORKER_LOG", os.devnull), "ab")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "andon.cli", "worker", "--workers", "4", "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = RedisHuey(name=name, url=redis_url)
    client._registry.register(ola_step_task.task_class)
    try:
        time.sleep(3)  # let the consumer start
        base = timezone.now() + timedelta(seconds=5)
        chosen = timer_ids[:samples]
        due = {}
        for n, timer_id in enumerate(chosen):
            at = base + timedelta(milliseconds=20 * n)
            token = uuid.uuid4().hex
            OlaTimer.objects.filter(pk=timer_id).update(
                warn_at=at, next_action_at=at, token=token, level=-1
            )
            due[timer_id] = at
            task = ola_step_task.s(timer_id, token)
            task.eta = normalize_time(eta=at)  # as schedule(eta=…) does: naive UTC
            client.enqueue(task)
        deadline = time.monotonic() + 60 + samples * 0.05
        while time.monotonic() < deadline:
            alerted = Alert.objects.filter(timer_id__in=chosen, level=0)
            # One alert per recipient: a pool ticket alerts every queue member.
            if alerted.values("timer_id").distinct().count() >= len(chosen):
                break
            time.sleep(0.5)
        written = dict(
            Alert.objects.filter(timer_id__in=chosen, level=0).values_list("timer_id", "created_at")
        )
        return [(written[t] - due[t]).total_seconds() for t in chosen if t in written]
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        client.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--delay-samples", type=int, default=300)
    args = parser.parse_args()
    print(f"database: {connection.vendor}, tickets: {Ticket.objects.count():,}")
    cleanup()
    try:
        ids = make_timers(args.open)
        print(f"running timers: {len(ids):,}")
        seconds, done = timed_sweep()
        print(f"sweep, nothing due: {seconds * 1000:.1f} ms ({done} steps)")
        past = timezone.now() - timedelta(seconds=1)
        OlaTimer.objects.filter(pk__in=ids[: args.due]).update(warn_at=past, next_action_at=past)
        seconds, done = timed_sweep()
        print(f"sweep, {args.due:,} due: {seconds:.1f} s ({done:,} steps, {done / seconds:,.0f}/s)")
        delays = delay_run(ids[args.due :], args.delay_samples)
        if delays:
            print(
                f"due → alert written ({len(delays)} samples): "
                f"p50 {statistics.median(delays):.2f} s, "
                f"p99 {percentile(delays, 99):.2f} s, max {max(delays):.2f} s"
            )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
