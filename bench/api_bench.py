"""Ticket API benchmark over loopback: list latency (filtered first page) and create throughput.

    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench python bench/api_bench.py

Starts gunicorn (the production server) on 127.0.0.1, signs in as bench users made by
bench/generate.py, and prints p50/p95/p99 per list scenario and tickets created per second.
Requests are bounded in count and go to loopback only.
"""

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")

import django  # noqa: E402

django.setup()

from andon.catalog.models import CatalogEntry  # noqa: E402
from andon.queues.models import Queue  # noqa: E402
from andon.tickets.models import Ticket  # noqa: E402
from bench.generate import BENCH_PASSWORD  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "andon.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/schema/", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def token(client: httpx.Client, username: str) -> str:
    r = client.post("/api/v1/auth/token/", json={"username": username, "password": BENCH_PASSWORD})
    r.raise_for_status()
    return r.json()["token"]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def measure_list(base: str, auth: str, params: dict, n: int) -> dict:
    samples = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {auth}"}) as client:
        client.get("/api/v1/tickets/", params=params).raise_for_status()  # warm-up
        for _ in range(n):
            t0 = time.perf_counter()
            r = client.get("/api/v1/tickets/", params=params)
            samples.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "count": len(r.json()["results"]),
    }


def measure_create(base: str, auth: str, entry_ids: list[int], total: int, threads: int) -> float:
    def one(i: int) -> int:
        with httpx.Client(base_url=base, headers={"Authorization": f"Token {auth}"}) as client:
            r = client.post(
                "/api/v1/tickets/",
                json={
                    "title": f"压测创建 {i}",
                    "description": "bench",
                    "priority": "L3",
                    "catalog_entry": entry_ids[i % len(entry_ids)],
                },
            )
            return r.status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        codes = list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - t0
    bad = [c for c in codes if c != 201]
    if bad:
        raise SystemExit(f"{len(bad)} creates failed, e.g. HTTP {bad[0]}")
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="requests per list scenario")
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers)
    try:
        with httpx.Client(base_url=base) as client:
            admin = token(client, "bench-admin")
            handler = token(client, "bench-h0-0")
            requester = token(client, "bench-r0")
        queue_id = Queue.objects.filter(name="压测队列0").values_list("pk", flat=True).first()
        print(f"tickets in database: {Ticket.objects.count():,}")
        scenarios = [
            ("admin, all tickets", admin, {}),
            (
                "admin, status=processing&priority=L1",
                admin,
                {"status": "processing", "priority": "L1"},
            ),
            ("admin, queue + status", admin, {"queue": queue_id, "status": "pending"}),
            ("admin, text query", admin, {"q": "VPN"}),
            ("handler, assignee=me", handler, {"assignee": "me"}),
            ("handler, my queues' pool", handler, {"assignee": "none", "status": "pending"}),
            ("requester, requester=me", requester, {"requester": "me"}),
        ]
        print(f"{'scenario':45} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for name, auth, params in scenarios:
            result = measure_list(base, auth, params, args.requests)
            print(f"{name:45} {result['p50']:8.1f} {result['p95']:8.1f} {result['p99']:8.1f}")
        entry_ids = list(
            CatalogEntry.objects.filter(parent__isnull=False, queue__isnull=False).values_list(
                "pk", flat=True
            )
        )
        rate = measure_create(base, admin, entry_ids, args.creates, args.threads)
        print(
            f"create throughput: {rate:,.0f} tickets/s "
            f"({args.creates} creates, {args.threads} threads)"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
