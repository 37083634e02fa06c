"""OLA engine benchmark: sweep cost with 100,000 open tickets, catch-up throughput with 1, 2 and 4
worker processes, and the delay between a timer's due time and its alert being written.

    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        python bench/ola_bench.py --due 10000 --processes 1,2,4

Needs the tickets made by bench/generate.py. It gives the bench queues a policy, creates one
running response timer for each of up to --open open tickets (bulk), then measures:
1. a sweep when nothing is due;
2. a catch-up of --due warnings in this one process (the sweep runs each chunk in-process);
3. the same catch-up shared by N `andon worker` processes (--processes, each --threads
   threads) on Redis: this process sweeps (hands the due steps out as chunk tasks) and the
   time runs from the sweep's start until every due timer has warned;
4. with `andon worker` running on Redis: --delay-samples steps scheduled for exact times a few
   seconds ahead; the delay is Alert.created_at minus the step's due time (p50/p99).
Between rounds the alerts, events, notifications and outbox copies of the round are deleted and
the timers made due again. Everything it creates is removed at the end.
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
# The catch-up rounds enqueue into this process's own Huey queue, which the workers read.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("HUEY_NAME", f"andon-olabench-{uuid.uuid4().hex[:6]}")
os.environ["HUEY_IMMEDIATE"] = "0"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from andon.notifications.models import Notification, OutboxMessage  # noqa: E402
from andon.ola import engine, tasks  # noqa: E402
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer  # noqa: E402
from andon.queues.models import Queue  # noqa: E402
from andon.tickets.models import OPEN_STATUSES, Ticket, TicketEvent  # noqa: E402

BENCH_TAG = "bench-ola"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def delete_alerts(ids: list[int]) -> None:
    """The alerts of these timers and everything they wrote."""
    events = TicketEvent.objects.filter(kind__startswith="ola_", after__timer__in=ids)
    Notification.objects.filter(event__in=events).delete()
    OutboxMessage.objects.filter(key__startswith="ola:").delete()
    events.delete()
    Alert.objects.filter(timer_id__in=ids).delete()


def cleanup() -> None:
    timers = OlaTimer.objects.filter(stopped_reason=BENCH_TAG)
    delete_alerts(list(timers.values_list("pk", flat=True)))
    timers.delete()


def make_due(ids: list[int]) -> None:
    """These timers' warnings due a second ago, as if the workers had been down."""
    delete_alerts(ids)
    past = timezone.now() - timedelta(seconds=1)
    OlaTimer.objects.filter(pk__in=ids).update(
        warn_at=past,
        next_action_at=past,
        level=-1,
        enqueued_at=None,
        alerted_user_ids=[],
        token=uuid.uuid4().hex,
    )


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


def in_process_catchup(ids: list[int]) -> tuple[float, int]:
    """The sweep with no worker port: every chunk runs here, one after the other."""
    make_due(ids)
    engine.use_step_tasks(step=tasks.schedule_step, chunk=None)
    try:
        seconds, done = timed_sweep()
    finally:
        engine.use_step_tasks(step=tasks.schedule_step, chunk=tasks.ola_steps_task)
    return seconds, done


def start_workers(count: int, threads: int, log_dir: Path) -> list[subprocess.Popen]:
    """`count` worker processes on this process's queue, once each has started its consumer."""
    workers, logs = [], []
    for n in range(count):
        path = log_dir / f"worker-{n}.log"
        path.write_bytes(b"")
        logs.append(path)
        with path.open("ab") as out:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "andon.cli", "worker", "--workers", str(threads)]
                    + ["--no-periodic"],
                    cwd=ROOT,
                    env=os.environ.copy(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all(b"consumer started" in p.read_bytes() for p in logs):
            return workers
        time.sleep(0.2)
    stop_workers(workers)
    raise SystemExit(f"workers did not start; see {log_dir}")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def worker_catchup(ids: list[int], processes: int, threads: int, log_dir: Path) -> dict:
    """The due warnings swept into chunk tasks and run by `processes` workers; seconds from the
    sweep's start until the last due timer warned."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    make_due(ids)
    workers = start_workers(processes, threads, log_dir)
    try:
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        handed = engine.sweep(limit=len(ids) + 1000)
        swept = time.perf_counter() - started
        waiting = OlaTimer.objects.filter(stopped_reason=BENCH_TAG, level=-1, pk__in=ids)
        deadline = time.monotonic() + 600
        left = len(ids)
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = waiting.count()
        seconds = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    finally:
        stop_workers(workers)
        HUEY.flush()
    warned = len(ids) - left
    return {
        "processes": processes,
        "handed": handed,
        "warned": warned,
        "sweep": swept,
        "seconds": seconds,
        "rate": warned / seconds,
        "load": (load_before, load_after),
        "alerts": Alert.objects.filter(timer_id__in=ids, level=0).count(),
    }


def delay_run(timer_ids: list[int], samples: int) -> list[float]:
    from huey import RedisHuey
    from huey.utils import normalize_time

    from andon.ola.tasks import ola_step_task

    redis_url = os.environ["REDIS_URL"]
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
    parser.add_argument("--processes", default="1,2,4", help="worker process counts to try")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--skip-in-process", action="store_true")
    args = parser.parse_args()
    print(f"database: {connection.vendor}, tickets: {Ticket.objects.count():,}")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    log_dir = ROOT / "var" / "bench-ola"
    log_dir.mkdir(parents=True, exist_ok=True)
    cleanup()
    try:
        ids = make_timers(args.open)
        print(f"running timers: {len(ids):,}")
        seconds, done = timed_sweep()
        print(f"sweep, nothing due: {seconds * 1000:.1f} ms ({done} steps)")
        due = ids[: args.due]
        if not args.skip_in_process:
            seconds, done = in_process_catchup(due)
            print(
                f"catch-up in this one process, {args.due:,} due: {seconds:.1f} s "
                f"({done:,} steps, {done / seconds:,.0f}/s)"
            )
        for processes in [int(n) for n in args.processes.split(",") if n]:
            r = worker_catchup(due, processes, args.threads, log_dir)
            print(
                f"catch-up, {r['processes']} worker process(es) × {args.threads} threads: "
                f"{r['warned']:,} of {r['handed']:,} warned in {r['seconds']:.1f} s "
                f"= {r['rate']:,.0f} steps/s (sweep {r['sweep']:.1f} s; {r['alerts']:,} "
                f"alert rows; load average {r['load'][0]:.1f} → {r['load'][1]:.1f})"
            )
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
