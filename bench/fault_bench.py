"""Fault benchmark: SIGKILL a web worker and the task worker in the middle of a burst, then check
that nothing is half-written and every due OLA step was processed and alerted exactly once.

    python bench/fault_bench.py --clients 50 --duration 40

The set-up and the burst are bench/load_bench.py's, with a 1-minute response target on every
queue (a warning at 48 s, the breach at 60 s, one more level a minute after), so steps come due
during and after the burst. At a third of the burst one gunicorn worker gets SIGKILL (the
master starts another); at half of it the `andon worker` gets SIGKILL and is started again a
few seconds later. After the burst the bench waits until no live timer has a step overdue
(the worker's scheduled steps, else its minute sweeper) and every alert's webhook copy is sent,
then checks: every 2xx exactly once, no 5xx, every ticket with its events and timers
(load_bench.verify); each request left without an answer (a connection reset by the killed web
worker, counted apart from the server's answers) either fully there or not at all; no alert,
alert event or outbox message twice; every live timer past its warning point warned; every
alert's webhook copy received by a real HTTP receiver (repeats are possible only for sends in
flight when the worker died: at-least-once delivery, the receiver dedupes by X-Andon-Delivery).
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
from tests.http_receiver import Receiver  # noqa: E402

OLA_WEBHOOK_EVENTS = ["ola.warning", "ola.breached", "ola.escalated"]


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
    await asyncio.to_thread(state["worker"].wait)
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

    from andon.ola.models import OlaTimer

    started = time.monotonic()
    while True:
        overdue = OlaTimer.objects.filter(
            active=True,
            paused_at=None,
            next_action_at__lt=timezone.now() - timedelta(seconds=5),
        ).count()
        if not overdue or time.monotonic() - started > timeout:
            return overdue, time.monotonic() - started
        time.sleep(2)


def wait_until_webhooks_sent(timeout: float) -> int:
    """Until every OLA alert's webhook copy is sent (a send claimed by the killed worker goes
    again once its lease lapses); returns how many are still not sent."""
    from andon.notifications.models import OutboxMessage

    pending = OutboxMessage.objects.filter(channel="webhook", key__contains=":ola:").exclude(
        state=OutboxMessage.State.SENT
    )
    deadline = time.monotonic() + timeout
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(2)
    return pending.count()


def check_unanswered(run: lb.Run, tag: str) -> list[str]:
    """A request the client got no answer for (its connection reset when the web worker was
    killed, or a client timeout) is either fully in the database or not at all; the load
    bench's checks already require every ticket and comment there to be whole."""
    from andon.ola.models import OlaTimer
    from andon.tickets.models import Comment, EventKind, Ticket, TicketEvent

    lost = [r for r in run.results if r.status == 0]
    problems, seen = [], {"create": [0, 0], "comment": [0, 0], "claim": [0, 0]}
    for r in lost:
        if r.op == "create":
            ticket = Ticket.objects.filter(title=r.marker).first()
            there = ticket is not None
            if there and (
                not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CREATED).exists()
                or OlaTimer.objects.filter(ticket=ticket).values("metric").distinct().count() < 2
            ):
                problems.append(f"unanswered create {r.marker} is half-written")
        elif r.op == "comment":
            there = Comment.objects.filter(body=r.marker).exists()
        else:
            there = TicketEvent.objects.filter(
                kind=EventKind.CLAIMED, ticket_id=r.ticket, actor_id=r.user
            ).exists()
        seen[r.op][0 if there else 1] += 1
    print(
        "unanswered requests (no HTTP answer; not 5xx): "
        + ", ".join(f"{op} {a + b} ({a} done whole, {b} not at all)" for op, (a, b) in seen.items())
    )
    return problems


def verify_alerts(tag: str, receiver: Receiver) -> list[str]:
    from django.db.models import Count, F
    from django.utils import timezone

    from andon.notifications.models import OutboxMessage
    from andon.ola.models import Alert, OlaTimer
    from andon.tickets.models import TicketEvent

    problems = []
    now = timezone.now()
    timers = OlaTimer.objects.filter(ticket__title__startswith=tag + " ")
    doubled = (
        Alert.objects.filter(timer__in=timers)
        .values("timer", "level", "recipient")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    alert_events = TicketEvent.objects.filter(
        kind__startswith="ola_", ticket__title__startswith=tag + " "
    )
    doubled_events = (
        alert_events.values("after__alert").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    doubled_outbox = (
        OutboxMessage.objects.values("key").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    # Every timer still live whose warning point passed has warned: level 0 reached, its
    # level-0 alert written. A timer met after its warning point but before the step ran (a
    # delayed step) is not warned any more, by design: counted, not a problem.
    past_warning = timers.filter(warn_at__lt=now - timedelta(seconds=5))
    live = past_warning.filter(active=True)
    not_warned = live.filter(level__lt=0).count()
    without_alert = live.filter(level__gte=0).exclude(alerts__level=0).count()
    met_unwarned = past_warning.filter(active=False, level__lt=0, met_at__gt=F("warn_at")).count()
    # Every alert's webhook copy reached the receiver.
    hooks = dict(
        OutboxMessage.objects.filter(channel="webhook", key__contains=":ola:").values_list(
            "key", "state"
        )
    )
    received = [
        r["headers"].get("X-Andon-Delivery")
        for r in receiver.requests
        if r["headers"].get("X-Andon-Event", "").startswith("ola.")
    ]
    missing = [k for k in hooks if k not in set(received)]
    repeats = len(received) - len(set(received))
    print(
        f"timers: {timers.count()}, past warning {past_warning.count()} ({live.count()} live, "
        f"{met_unwarned} met after the warning point before its step ran), breached "
        f"{timers.filter(breached_at__isnull=False).count()}; alerts "
        f"{Alert.objects.filter(timer__in=timers).count()}, alert events {alert_events.count()}; "
        f"outbox {OutboxMessage.objects.count()}; alert webhooks {len(hooks)}, received "
        f"{len(set(received))} ({repeats} repeated deliveries)"
    )
    if doubled or doubled_events or doubled_outbox:
        problems.append(
            f"{doubled} alerts, {doubled_events} alert events and {doubled_outbox} outbox "
            "messages written twice"
        )
    if not_warned or without_alert:
        problems.append(f"{not_warned} due warnings not processed, {without_alert} without alert")
    if len(alert_events.values("after__alert").distinct()) != len(hooks):
        problems.append(f"{alert_events.count()} alert events but {len(hooks)} webhook copies")
    if missing:
        problems.append(f"{len(missing)} alert webhooks never received")
    return problems


def main() -> None:
    p = lb.parser(__doc__.splitlines()[0])
    p.set_defaults(clients=50, duration=40)
    p.add_argument("--restart-after", type=float, default=5, help="seconds the worker stays dead")
    p.add_argument("--settle", type=float, default=180, help="most seconds to wait for steps")
    args = p.parse_args()
    # Sends in flight when the worker dies are claimed; they go again once the claim lapses.
    os.environ.update({"ANDON_WEBHOOK_ALLOW_PRIVATE": "1", "ANDON_OUTBOX_LEASE_SECONDS": "15"})
    env = lb.configure(args)
    env.update(ANDON_WEBHOOK_ALLOW_PRIVATE="1", ANDON_OUTBOX_LEASE_SECONDS="15")
    desk = lb.build_desk(args, response_minutes=1)
    receiver = Receiver().start()
    from andon.core import config_cache
    from andon.notifications.models import Webhook

    Webhook.objects.create(
        name="fault-bench", url=receiver.url, secret="fault", events=OLA_WEBHOOK_EVENTS
    )
    config_cache.bump(config_cache.WEBHOOKS)
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
        unsent = wait_until_webhooks_sent(60)
        problems = lb.verify(run, tag) + check_unanswered(run, tag) + verify_alerts(tag, receiver)
        if overdue:
            problems.append(f"{overdue} OLA steps still overdue")
        if unsent:
            problems.append(f"{unsent} alert webhooks not sent")
    finally:
        lb.stop(web, state["worker"])
        receiver.stop()
    print("OK: nothing half-written, every due alert once" if not problems else "PROBLEMS:")
    for problem in problems:
        print("  -", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
