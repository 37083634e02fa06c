"""Load benchmark: concurrent clients create, comment and claim against gunicorn + PostgreSQL +
Redis, then check that the database holds exactly what the server acknowledged.

    python bench/load_bench.py --clients 100 --duration 60

Makes a fresh PostgreSQL database (--db, default h14b_load, on --pg), migrates it, builds a
desk (bench/generate.py's org: queues of handlers, a 7×24 OLA policy on each), starts gunicorn
(--web-workers processes × --threads) and one `andon worker` on Redis (--redis), and runs the
burst from one asyncio process with httpx. Each client is a handler with its own token; it
files tickets in its queue, comments on and claims its queue's tickets. Afterwards:
every 2xx is in the database exactly once, no 5xx, every ticket has its events and OLA timers.
Loopback only; the database is dropped and recreated on each run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
logging.getLogger("httpx").setLevel(logging.WARNING)

OPS = ("create", "comment", "claim")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--duration", type=float, default=60, help="seconds of load")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    p.add_argument("--task-threads", type=int, default=4, help="threads of the andon worker")
    p.add_argument("--queues", type=int, default=5)
    p.add_argument("--db", default="h14b_load")
    p.add_argument("--pg", default="postgres://postgres@localhost:5432")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    p.add_argument("--seed", type=int, default=14)
    return p


def configure(args) -> dict[str, str]:
    """Point this process (and the servers it starts) at a fresh database; set up Django."""
    subprocess.run(
        ["dropdb", "-h", "localhost", "-U", "postgres", "--if-exists", args.db], check=True
    )
    subprocess.run(["createdb", "-h", "localhost", "-U", "postgres", args.db], check=True)
    data_dir = ROOT / "var" / "bench-load"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "DATABASE_URL": f"{args.pg}/{args.db}",
        "REDIS_URL": args.redis,
        "HUEY_NAME": f"andon-load-{uuid.uuid4().hex[:6]}",
        "ANDON_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "andon.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


@dataclass
class Desk:
    clients: list[tuple[str, int, int]]  # (token, user id, queue id)
    leaves: dict[int, list[int]]  # queue id -> catalog entry ids


def build_desk(args, *, response_minutes: int | None = None) -> Desk:
    from django.test import override_settings
    from rest_framework.authtoken.models import Token

    from andon.ola.models import BusinessCalendar, OlaPolicy
    from bench.generate import ensure_org

    per_queue = -(-args.clients // args.queues)
    # The clients use tokens; the org's passwords are never checked. With the default hasher
    # the ~200 set_password calls took minutes on a loaded 2-core machine (the first fault
    # bench run timed out here).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        _, handlers, leaves, _ = ensure_org(queues=args.queues, people_per_queue=per_queue)
    calendar = BusinessCalendar.objects.get(is_builtin=True)  # 7×24: timers run at any hour
    for queue in {q for q, _ in handlers}:
        policy, _ = OlaPolicy.objects.get_or_create(queue=queue, defaults={"calendar": calendar})
        if response_minutes is not None:
            policy.response_minutes = dict.fromkeys(("L1", "L2", "L3", "L4"), response_minutes)
            policy.escalation_interval_minutes = 1
            policy.save()
    by_queue: dict[int, list[int]] = defaultdict(list)
    for entry in leaves:
        by_queue[entry.queue_id].append(entry.pk)
    clients = [
        (Token.objects.get_or_create(user=user)[0].key, user.pk, queue.pk)
        for queue, user in handlers[: args.clients]
    ]
    return Desk(clients=clients, leaves=dict(by_queue))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(args, env, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "andon.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def start_worker(args, env) -> subprocess.Popen:
    log = open(ROOT / "var" / "bench-load" / "worker.log", "ab")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "andon.cli", "worker", "--workers", str(args.task_threads)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@dataclass
class Result:
    op: str
    status: int  # 0: no answer (timeout, connection reset)
    seconds: float
    ticket: int | None = None
    user: int | None = None
    marker: str | None = None


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    pools: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    started: float = 0.0
    ended: float = 0.0


async def client_loop(n, base, desk: Desk, token, user, queue, run: Run, deadline, tag, rng):
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            pool = run.pools[queue]
            op = "create" if not pool else rng.choice(OPS)
            ticket = rng.choice(pool[-50:]) if pool else None
            marker = f"{tag} c{n}-{i}"
            started = time.monotonic()
            try:
                if op == "create":
                    r = await http.post(
                        "/api/v1/tickets/",
                        json={
                            "title": marker,
                            "description": "load bench",
                            "priority": rng.choice(("L1", "L2", "L3", "L4")),
                            "catalog_entry": rng.choice(desk.leaves[queue]),
                        },
                    )
                    if r.status_code == 201:
                        ticket = r.json()["id"]
                        pool.append(ticket)
                elif op == "comment":
                    r = await http.post(
                        f"/api/v1/tickets/{ticket}/comments/", json={"body": marker}
                    )
                else:
                    r = await http.post(f"/api/v1/tickets/{ticket}/claim/", json={})
                status = r.status_code
            except httpx.HTTPError:
                status = 0
            run.results.append(Result(op, status, time.monotonic() - started, ticket, user, marker))


async def burst(args, desk: Desk, base: str, tag: str, duration: float, run: Run) -> None:
    rng = random.Random(args.seed)
    deadline = time.monotonic() + duration
    run.started = time.monotonic()
    await asyncio.gather(
        *[
            client_loop(
                n, base, desk, tok, user, q, run, deadline, tag, random.Random(rng.random())
            )
            for n, (tok, user, q) in enumerate(desk.clients)
        ]
    )
    run.ended = time.monotonic()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def report(run: Run) -> None:
    elapsed = run.ended - run.started
    print(f"\n{len(run.results)} requests in {elapsed:.1f} s: {len(run.results) / elapsed:.1f}/s")
    print(
        f"{'op':<8} {'count':>6} {'per s':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses"
    )
    for op in OPS:
        rows = [r for r in run.results if r.op == op]
        if not rows:
            continue
        ms = [r.seconds * 1000 for r in rows]
        statuses = dict(sorted(Counter(r.status for r in rows).items()))
        print(
            f"{op:<8} {len(rows):>6} {len(rows) / elapsed:>6.1f} {percentile(ms, 50):>8.0f} "
            f"{percentile(ms, 95):>8.0f} {percentile(ms, 99):>8.0f}  {statuses}"
        )


def wait_for_tasks(env, timeout: float = 120) -> None:
    """Until the worker has run every task the burst enqueued (on-commit notifications, OLA
    steps due now)."""
    from huey import RedisHuey

    huey = RedisHuey(name=env["HUEY_NAME"], url=env["REDIS_URL"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and huey.pending_count():
        time.sleep(0.5)
    time.sleep(2)  # the tasks being run right now


def verify(run: Run, tag: str) -> list[str]:
    """What the database must hold after the burst. Returns the problems found."""
    from django.db.models import Count

    from andon.ola.models import OlaTimer
    from andon.tickets.models import Comment, EventKind, Ticket, TicketEvent

    problems = []
    if any(r.status >= 500 for r in run.results):
        problems.append(f"{sum(r.status >= 500 for r in run.results)} answers were 5xx")
    unanswered = Counter(r.op for r in run.results if r.status == 0)

    created = [r for r in run.results if r.op == "create" and r.status == 201]
    titles = Counter(
        Ticket.objects.filter(title__startswith=tag + " ").values_list("title", flat=True)
    )
    dupes = [t for t, c in titles.items() if c > 1]
    missing = [r.marker for r in created if titles.get(r.marker) != 1]
    extra = len(titles) - len(created)
    if dupes or missing or not 0 <= extra <= unanswered["create"]:
        problems.append(f"tickets: {len(missing)} missing, {len(dupes)} doubled, {extra} extra")

    comments = [r for r in run.results if r.op == "comment" and r.status == 201]
    bodies = Counter(
        Comment.objects.filter(body__startswith=tag + " ").values_list("body", flat=True)
    )
    missing = [r.marker for r in comments if bodies.get(r.marker) != 1]
    extra = len(bodies) - len(comments)
    if missing or any(c > 1 for c in bodies.values()) or not 0 <= extra <= unanswered["comment"]:
        problems.append(f"comments: {len(missing)} missing or doubled, {extra} extra")

    claims = Counter((r.ticket, r.user) for r in run.results if r.op == "claim" and r.status == 200)
    events = Counter(
        TicketEvent.objects.filter(kind=EventKind.CLAIMED, ticket__title__startswith=tag + " ")
        .values_list("ticket_id", "actor_id")
        .iterator()
    )
    unanswered_claims = unanswered["claim"]
    wrong = [k for k, c in claims.items() if events.get(k) != c]
    extra = sum(events.values()) - sum(claims.values())
    if wrong or not 0 <= extra <= unanswered_claims:
        problems.append(f"claims: {len(wrong)} not recorded once, {extra} extra claim events")

    tickets = Ticket.objects.filter(title__startswith=tag + " ")
    no_created = tickets.exclude(events__kind=EventKind.CREATED).count()
    timers = dict(
        tickets.annotate(n=Count("ola_timers__metric", distinct=True)).values_list("pk", "n")
    )
    no_timers = sum(1 for n in timers.values() if n < 2)
    comment_counts = dict(
        tickets.annotate(n=Count("comments", distinct=True)).values_list("pk", "n")
    )
    comment_events = dict(
        tickets.filter(events__kind=EventKind.COMMENTED)
        .annotate(n=Count("events", distinct=True))
        .values_list("pk", "n")
    )
    unlogged = sum(1 for pk, n in comment_counts.items() if comment_events.get(pk, 0) != n)
    if no_created or no_timers or unlogged:
        problems.append(
            f"{no_created} tickets without a created event, {no_timers} without both OLA "
            f"timers, {unlogged} whose comments are not each in the activity log"
        )
    n_timers = OlaTimer.objects.filter(ticket__in=tickets).count()
    print(
        f"checked: {len(titles)} tickets, {len(bodies)} comments, {sum(events.values())} claims, "
        f"{n_timers} timers; unanswered {dict(unanswered)}"
    )
    return problems


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    env = configure(args)
    desk = build_desk(args)
    port = free_port()
    web = start_web(args, env, port)
    worker = start_worker(args, env)
    tag = f"LB{uuid.uuid4().hex[:6]}"
    run = Run()
    try:
        print(
            f"{len(desk.clients)} clients for {args.duration:.0f} s; gunicorn "
            f"{args.web_workers}×{args.threads} threads, worker {args.task_threads} threads"
        )
        asyncio.run(burst(args, desk, f"http://127.0.0.1:{port}", tag, args.duration, run))
        report(run)
        wait_for_tasks(env)
        problems = verify(run, tag)
    finally:
        stop(web, worker)
    print("OK: zero lost, zero doubled, zero 5xx" if not problems else "PROBLEMS:")
    for problem in problems:
        print("  -", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
