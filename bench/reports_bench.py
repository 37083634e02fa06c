"""Reports benchmark: the 报表 page and every /api/v1/reports/ endpoint against a big desk.

    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench python bench/reports_bench.py

Needs the tickets made by bench/generate.py. That generator makes no OLA timers, so on first run
this script bulk-creates response and resolution timers for the tickets of the last
`--timer-days` days (outcomes derived from each ticket's first response and resolution times
against the default targets), marked `{"bench": true}` in their policy snapshot so a second run
reuses them. Requests go through Django's test client in-process (no network), as the
bench-admin (sees everything) and as a handler (one queue); each is run once to warm up, then
`--runs` times, and the median and worst times are printed.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DEBUG", "0")
# Plain static storage: the manifest needs `collectstatic`, unrelated to these numbers.
os.environ.setdefault("ANDON_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from andon.accounts.models import User  # noqa: E402
from andon.ola.models import (  # noqa: E402
    OlaTimer,
    default_resolution_minutes,
    default_response_minutes,
)
from andon.reports import rollup  # noqa: E402
from andon.reports.models import DailyRollup  # noqa: E402
from andon.tickets.models import UNFINISHED_STATUSES, Ticket  # noqa: E402

RESPONSE = {k: v * 60 for k, v in default_response_minutes().items()}
RESOLUTION = {k: v * 60 for k, v in default_resolution_minutes().items()}
BENCH_POLICY = {"bench": True}


def _outcome(ticket_id, queue_id, metric, target, created, done_at, still_open, now):
    """One timer for a ticket: met or breached when done, running or breached when open,
    stopped (no outcome) when the ticket ended without reaching the target."""
    due = created + timedelta(seconds=target)
    timer = OlaTimer(
        ticket_id=ticket_id,
        queue_id=queue_id,
        metric=metric,
        policy=BENCH_POLICY,
        target_seconds=target,
        started_at=created,
        created_at=created,
        due_at=due,
        active=False,
    )
    if done_at is not None:
        timer.elapsed_seconds = max(0, int((done_at - created).total_seconds()))
        timer.met_at = done_at
        if done_at > due:
            timer.state, timer.breached_at = "breached", due
        else:
            timer.state = "met"
    elif still_open:
        timer.active = True
        if due < now:
            timer.state, timer.breached_at = "breached", due
        else:
            timer.state = "running"
    else:
        timer.state, timer.stopped_reason = "stopped", "cancelled"
    return timer


def ensure_timers(days: int, batch: int = 5000) -> int:
    existing = OlaTimer.objects.filter(policy__bench=True).count()
    if existing:
        print(f"timers: {existing:,} bench timers already present")
        return existing
    now = timezone.now()
    tickets = (
        Ticket.objects.filter(created_at__gte=now - timedelta(days=days), queue__isnull=False)
        .order_by("id")
        .values_list(
            "id",
            "queue_id",
            "priority",
            "status",
            "created_at",
            "first_response_at",
            "resolved_at",
        )
    )
    started, made, buffer = time.perf_counter(), 0, []
    for pk, queue_id, priority, status, created, first_response, resolved in tickets.iterator(
        chunk_size=batch
    ):
        still_open = status in UNFINISHED_STATUSES
        buffer.append(
            _outcome(
                pk,
                queue_id,
                "response",
                RESPONSE[priority],
                created,
                first_response,
                still_open,
                now,
            )
        )
        buffer.append(
            _outcome(
                pk, queue_id, "resolution", RESOLUTION[priority], created, resolved, still_open, now
            )
        )
        if len(buffer) >= batch:
            with transaction.atomic():
                OlaTimer.objects.bulk_create(buffer, batch_size=batch)
            made += len(buffer)
            buffer = []
    if buffer:
        OlaTimer.objects.bulk_create(buffer, batch_size=batch)
        made += len(buffer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum would gather
    print(f"timers: created {made:,} in {time.perf_counter() - started:.1f} s")
    return made


def measure(client, url, runs: int, **headers) -> tuple[float, float, int]:
    def once():
        started = time.perf_counter()
        response = client.get(url, **headers)
        if response.streaming:
            for _ in response.streaming_content:
                pass
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return elapsed, len(response.content) if not response.streaming else 0

    once()  # warm-up
    times = [once()[0] for _ in range(runs)]
    return statistics.median(times) * 1000, max(times) * 1000, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timer-days", type=int, default=180)
    parser.add_argument("--exports", action="store_true", help="also time the exports")
    args = parser.parse_args()

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"tickets: {Ticket.objects.count():,}")
    fresh_timers = not OlaTimer.objects.filter(policy__bench=True).exists()
    ensure_timers(args.timer_days)
    print(f"timers: {OlaTimer.objects.count():,} in total")
    if fresh_timers or not DailyRollup.objects.exists():
        started = time.perf_counter()
        rows = rollup.rebuild()
        print(f"roll-up: rebuilt {rows:,} rows in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # What the worker's minute refresh costs on a busy day: recompute today and yesterday.
    today = timezone.localdate()
    rollup.mark_days([today, today - timedelta(days=1)])
    started = time.perf_counter()
    rollup.refresh()
    print(f"roll-up: refresh of 2 days {1000 * (time.perf_counter() - started):.0f} ms")
    print(f"roll-up: {DailyRollup.objects.count():,} rows")

    admin = User.objects.get(username="bench-admin")
    handler = User.objects.filter(username__startswith="bench-h").order_by("id").first()
    ranges = {
        "30 days": f"from={today - timedelta(days=29)}&to={today}",
        "180 days": f"from={today - timedelta(days=179)}&to={today}",
    }
    targets = [
        ("page /reports/", "/reports/?{q}", {}),
        (
            "page body (htmx)",
            "/reports/?{q}",
            {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "report-body"},
        ),
    ]
    for name in (
        "summary",
        "series",
        "by-queue",
        "by-priority",
        "by-handler",
        "top-catalog",
        "at-risk",
    ):
        targets.append((f"api {name}", f"/api/v1/reports/{name}/?{{q}}", {}))
    if args.exports:
        targets.append(("export view csv", "/reports/export/?kind=view&format=csv&{q}", {}))
        targets.append(("export tickets csv", "/reports/export/?kind=tickets&format=csv&{q}", {}))

    for who, user in (("admin (everything)", admin), (f"handler {handler.username}", handler)):
        client = Client()
        client.force_login(user)
        for range_name, query in ranges.items():
            print(f"\n{who}, {range_name}: median / worst of {args.runs} (ms)")
            for label, url, headers in targets:
                median, worst, _ = measure(client, url.format(q=query), args.runs, **headers)
                aim = 1000 if label.startswith("page") else 300
                flag = "" if label.startswith("export") or median < aim else "  (over aim)"
                print(f"  {label:<22} {median:8.1f} {worst:8.1f}{flag}")


if __name__ == "__main__":
    main()
