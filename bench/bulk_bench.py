"""Bulk action benchmark: one action over --tickets tickets, run as the worker runs a job.

    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench python -m django migrate
    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench python bench/bulk_bench.py

Use a scratch database: it files --tickets tickets (through `create_ticket`, so each has its
events, dispatch and OLA timers) in a queue of its own, then times, for each action in --actions,
`bulk.services.start_job` + `run_job` — exactly what the Huey task does, without the queue's
hand-off latency. Each action goes through the per-ticket services (lock, workflow check, event,
subscribers, notifications) in its own transaction, as in production.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from andon.accounts.models import Role, User  # noqa: E402
from andon.bulk import services as bulk  # noqa: E402
from andon.bulk.models import JobState  # noqa: E402
from andon.catalog.models import CatalogEntry  # noqa: E402
from andon.queues.models import DispatchRule, Queue, QueueMembership  # noqa: E402
from andon.tickets.models import Ticket  # noqa: E402
from andon.tickets.services import create_ticket  # noqa: E402

PREFIX = "bench-bulk"


def _user(username: str, role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"display_name": username, "is_active": True}
    )
    if created:
        user.set_password("bench-pass-1234")
        user.save()
        user.roles.add(Role.objects.get(code=role))
    return user


def desk():
    queue, _ = Queue.objects.get_or_create(
        name=f"{PREFIX}队列", defaults={"dispatch_rule": DispatchRule.MANUAL}
    )
    handler = _user(f"{PREFIX}-handler", "handler")
    QueueMembership.objects.get_or_create(queue=queue, user=handler)
    requester = _user(f"{PREFIX}-requester", "agent")
    parent, _ = CatalogEntry.objects.get_or_create(name=f"{PREFIX}目录", parent=None)
    entry, _ = CatalogEntry.objects.get_or_create(
        name=f"{PREFIX}子目录", parent=parent, defaults={"queue": queue}
    )
    return queue, handler, requester, entry


def file_tickets(count: int, requester, entry) -> list[int]:
    started = time.perf_counter()
    ids = [
        create_ticket(actor=requester, title=f"{PREFIX} {i}", catalog_entry_id=entry.pk).pk
        for i in range(count)
    ]
    elapsed = time.perf_counter() - started
    print(f"filed {count} tickets in {elapsed:.1f} s ({count / elapsed:.0f}/s)")
    return ids


def run(action: str, params: dict, ids: list[int], actor) -> None:
    bulk.set_job_scheduler(None)  # this process runs the job, as the worker would
    started = time.perf_counter()
    job = bulk.start_job(actor=actor, action=action, ticket_ids=ids, params=params)
    bulk.run_job(job_id=job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.state == JobState.FINISHED, job.state
    print(
        f"{action:9} {job.total:5} tickets: {elapsed:6.1f} s  ({job.total / elapsed:5.0f}/s)  "
        f"done {job.done_count}, refused {job.refused_count}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--actions", default="claim,priority,tag,transfer")
    args = parser.parse_args()
    print(f"database: {connection.vendor}")
    queue, handler, requester, entry = desk()
    ids = file_tickets(args.tickets, requester, entry)
    other, _ = Queue.objects.get_or_create(
        name=f"{PREFIX}二线", defaults={"dispatch_rule": DispatchRule.MANUAL}
    )
    plans = {
        "claim": {},
        "priority": {"priority": "L1"},
        "tag": {"tags": [f"{PREFIX}"]},
        "transfer": {"queue": other.pk, "note": "bench"},
    }
    for action in args.actions.split(","):
        run(action, plans[action], ids, handler)
    print(f"tickets in the database: {Ticket.objects.count()}")


if __name__ == "__main__":
    main()
