"""Fault benchmark: SIGKILL a web worker and the task worker in the middle of a burst, then check
that nothing is half-written and every due OLA step was processed and alerted exactly once.

    python bench/fault_bench.py --clients 50 --duration 40

The set-up and the burst are bench/load_bench.py's, with a 1-minute response target on every
queue (a warning at 48 s, the breach at 60 s, one more level a minute after), so steps come due
during and after the burst. At a third of the burst one gunicorn worker gets SIGKILL (the
master starts another); at half of it the `andon worker` gets SIGKILL and is started again a
few seconds later. After the burst the bench waits until no running timer has a step overdue
(the worker's scheduled steps, else its minute sweeper), then checks: every 2xx exactly once,
no 5xx, every ticket with its events and timers (load_bench.verify); no alert and no outbox
message twice; every timer past its warning point warned its handler once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load_bench as lb  # noqa: E402


def gunicorn_workers(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    )
    return [int(pid) for pid in out.stdout.split()]


async def faults(args, env, web, state: dict, log: list[str]) -> None:
    await asyncio.sleep(args.duration / 3)
    victim = gunicorn_workers(web.pid)[0]
    os.kill(victim, signal.SIGKILL)
    log.append(f"t={args.duration / 3:.0f}s SIGKILL gunicorn worker {victim}")
    await asyncio.sleep(args.duration / 2 - args.duration / 3)
    os.kill(state["worker"].pid, signal.SIGKILL)
    state["worker"].wait()
    log.append(f"t={args.duration / 2:.0f}s SIGKILL andon worker {state['worker'].pid}")
    await asyncio.sleep(args.restart_after)
    state["worker"] = lb.start_worker(args, env)
    log.append(f"t={args.duration / 2 + args.restart_after:.0f}s andon worker restarted")


async def burst_with_faults(args, env, desk, base, tag, run, web, state, log) -> None:
    await asyncio.gather(
        lb.burst(args, desk, base, tag, args.duration, run), faults(args, env, web, state, log)
    )


def wait_until_no_step_overdue(timeout: float) -> tuple[int, float]:
    from django.utils import timezone

    from andon.ola.models import OlaTimer, TimerState

    started = time.monotonic()
    while True:
        overdue = OlaTimer.objects.filter(
            state=TimerState.RUNNING,
            active=True,
            next_action_at__lt=timezone.now() - timedelta(seconds=5),
        ).count()
        if not overdue or time.monotonic() - started > timeout:
            return overdue, time.monotonic() - started
        time.sleep(2)


def verify_alerts(tag: str) -> list[str]:
    from django.db.models import Count
    from django.utils import timezone

    from andon.notifications.models import OutboxMessage
    from andon.ola.models import Alert, OlaTimer

    problems = []
    timers = OlaTimer.objects.filter(ticket__title__startswith=tag + " ")
    doubled = (
        Alert.objects.filter(timer__in=timers)
        .values("timer", "level", "recipient")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    doubled_outbox = (
        OutboxMessage.objects.values("key").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    # Every timer whose warning point passed (while running) warned: level 0 reached, one
    # level-0 alert to its handler.
    warned_due = timers.filter(warn_at__lt=timezone.now() - timedelta(seconds=5)).exclude(
        met_at__lt=timezone.now()
    )
    not_warned = warned_due.filter(level__lt=0).count()
    without_alert = warned_due.exclude(alerts__level=0).count()
    print(
        f"timers: {timers.count()}, past warning {warned_due.count()}, "
        f"breached {timers.filter(breached_at__isnull=False).count()}; alerts "
        f"{Alert.objects.filter(timer__in=timers).count()}; outbox {OutboxMessage.objects.count()}"
    )
    if doubled or doubled_outbox:
        problems.append(f"{doubled} alerts and {doubled_outbox} outbox messages written twice")
    if not_warned or without_alert:
        problems.append(f"{not_warned} due warnings not processed, {without_alert} without alert")
    return problems


def main() -> None:
    p = lb.parser(__doc__.splitlines()[0])
    p.set_defaults(clients=50, duration=40)
    p.add_argument("--restart-after", type=float, default=5, help="seconds the worker stays dead")
    p.add_argument("--settle", type=float, default=180, help="most seconds to wait for steps")
    args = p.parse_args()
    env = lb.configure(args)
    desk = lb.build_desk(args, response_minutes=1)
    port = lb.free_port()
    web = lb.start_web(args, env, port)
    state = {"worker": lb.start_worker(args, env)}
    tag = f"FB{uuid.uuid4().hex[:6]}"
    run, log = lb.Run(), []
    try:
        print(f"{len(desk.clients)} clients for {args.duration:.0f} s with faults")
        asyncio.run(
            burst_with_faults(
                args, env, desk, f"http://127.0.0.1:{port}", tag, run, web, state, log
            )
        )
        print("\n".join(log))
        lb.report(run)
        lb.wait_for_tasks(env)
        # Timers of the last tickets warn 48 s after the burst; wait past that, then until
        # nothing is overdue.
        time.sleep(60)
        overdue, waited = wait_until_no_step_overdue(args.settle)
        print(f"steps overdue after {60 + waited:.0f} s of settling: {overdue}")
        problems = lb.verify(run, tag) + verify_alerts(tag)
        if overdue:
            problems.append(f"{overdue} OLA steps still overdue")
    finally:
        lb.stop(web, state["worker"])
    print("OK: nothing half-written, every due alert once" if not problems else "PROBLEMS:")
    for problem in problems:
        print("  -", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
