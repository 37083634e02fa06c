"""Bulk-load a desk of N tickets for benchmarks.

    python bench/generate.py --tickets 1000000

Uses the database from DATABASE_URL (PostgreSQL for the published numbers). People, queues and
the catalog are created through the ORM; tickets and their `created` events are bulk-inserted
(the services are measured separately by bench/api_bench.py), with a realistic mix of statuses,
priorities, channels, queues and assignees spread over the last 180 days.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from andon.accounts.models import Role, User  # noqa: E402
from andon.catalog.models import CatalogEntry, normalize_name  # noqa: E402
from andon.queues.models import DispatchRule, Queue, QueueMembership  # noqa: E402
from andon.tickets.models import Status, Ticket, TicketEvent  # noqa: E402

BENCH_PASSWORD = "bench-pass-1234"
STATUS_MIX = [
    (Status.PENDING, 8),
    (Status.PROCESSING, 10),
    (Status.NEED_INFO, 3),
    (Status.TO_CONFIRM, 4),
    (Status.DONE, 30),
    (Status.CLOSED, 40),
    (Status.CANCELLED, 5),
]
PRIORITY_MIX = [("L1", 5), ("L2", 20), ("L3", 50), ("L4", 25)]
CHANNEL_MIX = [
    ("web", 25),
    ("employee", 25),
    ("portal", 15),
    ("single_chat", 12),
    ("external_group", 10),
    ("wechat_kf", 5),
    ("api", 5),
    ("email", 3),
]


def ensure_org(queues: int, people_per_queue: int):
    handler_role = Role.objects.get(code="handler")
    admin_role = Role.objects.get(code="admin")
    admin, created = User.objects.get_or_create(
        username="bench-admin", defaults={"display_name": "压测管理员"}
    )
    if created:
        admin.set_password(BENCH_PASSWORD)
        admin.save()
        admin.roles.add(admin_role)
    handlers, leaves = [], []
    for q in range(queues):
        queue, _ = Queue.objects.get_or_create(
            name=f"压测队列{q}", defaults={"dispatch_rule": DispatchRule.ROUND_ROBIN}
        )
        parent_name = f"压测目录{q}"
        parent, _ = CatalogEntry.objects.get_or_create(
            name_key=normalize_name(parent_name), parent=None, defaults={"name": parent_name}
        )
        for leaf in range(3):
            name = f"子目录{q}-{leaf}"
            entry, _ = CatalogEntry.objects.get_or_create(
                name_key=normalize_name(name),
                parent=parent,
                defaults={"name": name, "queue": queue},
            )
            leaves.append(entry)
        for p in range(people_per_queue):
            user, created = User.objects.get_or_create(
                username=f"bench-h{q}-{p}", defaults={"display_name": f"处理人{q}-{p}"}
            )
            if created:
                user.set_password(BENCH_PASSWORD)
                user.save()
                user.roles.add(handler_role)
            QueueMembership.objects.get_or_create(queue=queue, user=user)
            handlers.append((queue, user))
    requesters = []
    for r in range(50):
        user, created = User.objects.get_or_create(
            username=f"bench-r{r}", defaults={"display_name": f"提单人{r}"}
        )
        if created:
            user.set_password(BENCH_PASSWORD)
            user.save()
            user.roles.add(Role.objects.get(code="agent"))
        requesters.append(user)
    return admin, handlers, leaves, requesters


def weighted(rng, mix):
    return rng.choices([v for v, _ in mix], weights=[w for _, w in mix])[0]


def generate(total: int, batch: int, seed: int) -> None:
    rng = random.Random(seed)
    _, handlers, leaves, requesters = ensure_org(queues=8, people_per_queue=6)
    by_queue: dict[int, list[User]] = {}
    for queue, user in handlers:
        by_queue.setdefault(queue.pk, []).append(user)
    existing = Ticket.objects.count()
    now = timezone.now()
    started = time.perf_counter()
    made = 0
    while existing + made < total:
        size = min(batch, total - existing - made)
        tickets = []
        for _ in range(size):
            entry = rng.choice(leaves)
            status = weighted(rng, STATUS_MIX)
            created = now - timedelta(seconds=rng.randint(0, 180 * 86400))
            assignee = None
            if status != Status.PENDING or rng.random() < 0.5:
                assignee = rng.choice(by_queue[entry.queue_id])
            resolved = created + timedelta(minutes=rng.randint(5, 4000))
            requester = rng.choice(requesters)
            tickets.append(
                Ticket(
                    title=f"压测工单 {rng.choice(['VPN', '打印机', '邮箱', '账号', '网络'])} 问题",
                    description="bench",
                    priority=weighted(rng, PRIORITY_MIX),
                    status=status,
                    catalog_entry=entry,
                    queue_id=entry.queue_id,
                    assignee=assignee,
                    requester=requester,
                    created_by=requester,
                    channel=weighted(rng, CHANNEL_MIX),
                    urge_count=rng.choice((0, 0, 0, 0, 0, 0, 1, 1, 2, 3)),
                    reopen_count=1 if rng.random() < 0.04 else 0,
                    created_at=created,
                    updated_at=created,
                    first_response_at=created + timedelta(minutes=rng.randint(1, 120))
                    if status != Status.PENDING
                    else None,
                    resolved_at=resolved
                    if status in (Status.TO_CONFIRM, Status.DONE, Status.CLOSED)
                    else None,
                    closed_at=resolved if status in (Status.CLOSED, Status.CANCELLED) else None,
                )
            )
        with transaction.atomic():
            created_rows = Ticket.objects.bulk_create(tickets, batch_size=batch)
            TicketEvent.objects.bulk_create(
                [
                    TicketEvent(
                        ticket=t, kind="created", actor=t.requester, created_at=t.created_at
                    )
                    for t in created_rows
                ],
                batch_size=batch,
            )
        made += size
        rate = made / (time.perf_counter() - started)
        print(f"{existing + made:>9} tickets ({rate:,.0f}/s)", flush=True)


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather after such a load."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="total tickets wanted")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.tickets, args.batch, args.seed)
    analyze()


if __name__ == "__main__":
    main()
