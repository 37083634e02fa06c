"""Saved-view tab counts and the live ticket page's refresh at scale, on PostgreSQL.

    psql -h localhost -U postgres -c "CREATE DATABASE andon_views_bench"
    export DATABASE_URL=postgres://postgres@localhost:5432/andon_views_bench
    .venv/bin/python -m django migrate --settings=andon.settings
    .venv/bin/python bench/generate.py --tickets 1000000
    REDIS_URL=redis://localhost:6379/11 .venv/bin/python bench/views_bench.py

For a queue handler and for the administrator (who sees every ticket) it saves a set of typical
views and times, over many runs:
  * one view's tab count, cold (no cache): the capped COUNT the list runs after any change;
  * all of a person's tab counts, warm (nothing changed since the last refresh): what the list's
    30 s poll costs on an idle desk (the generation query + one cache read);
  * the built-in tab badges (待我处理, 队列待认领);
  * the live ticket page's poll, unchanged (204) and changed by someone else (the version and
    who-changed queries only; rendering the workspace is the page's own cost).
It prints p50 / p95 / max in milliseconds. Timings are the Django calls the views make, in
process, without HTTP.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from andon.accounts.models import User  # noqa: E402
from andon.savedviews import services  # noqa: E402
from andon.savedviews.models import SavedView  # noqa: E402
from andon.savedviews.views.listing import capped_count, view_counts, view_queryset  # noqa: E402
from andon.tickets.live import changed_by_others, ticket_version  # noqa: E402
from andon.tickets.models import Ticket  # noqa: E402
from andon.tickets.selectors import get_visible_ticket  # noqa: E402
from andon.tickets.views.listing import _tabs_for, tab_counts  # noqa: E402
from andon.tickets.views.live import ticket_live  # noqa: E402

VIEWS = [
    ("我的未完成", "assigned", {"status": "open"}),
    ("L1 未完成", "all", {"priority": "L1", "status": "open"}),
    ("待认领", "pool", {}),
    ("微信客服渠道", "all", {"channel": "wechat_kf"}),
    ("待确认", "all", {"status": "to_confirm"}),
    ("全部可见", "all", {}),
    ("某个提单人", "all", {"requester": None}),  # filled with a real requester id
]


def ensure_views(user: User, requester_id: int) -> list[SavedView]:
    views = []
    for name, tab, filters in VIEWS:
        filters = dict(filters)
        if "requester" in filters:
            filters["requester"] = str(requester_id)
        view = SavedView.objects.filter(owner=user, name=name).first()
        if view is None:
            view = services.create_view(
                actor=user,
                name=name,
                tab=tab,
                filters=filters,
                columns=["number", "title", "status"],
                sort="-id",
            )
        views.append(view)
    return views


def timed(run, runs: int) -> list[float]:
    run()  # warm-up: plans, connections, the permission cache
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def report(name: str, timings: list[float]) -> None:
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"{name:<44} p50 {statistics.median(timings):7.2f} ms   p95 {p95:7.2f} ms   "
        f"max {timings[-1]:7.2f} ms",
        flush=True,
    )


def bench_person(who: str, user: User, requester_id: int, runs: int) -> None:
    rng = random.Random(3)
    factory = RequestFactory()
    max_id = Ticket.objects.order_by("-id").values_list("id", flat=True)[0]
    views = ensure_views(user, requester_id)
    for view in views:
        qs = view_queryset(user, view)
        count = capped_count(qs)
        report(
            f"{who}: count '{view.name}' ({count}{'+' if count > 999 else ''})",
            timed(lambda qs=qs: capped_count(qs), runs),
        )
    view_counts(user, views)
    report(
        f"{who}: all {len(views)} view counts, warm",
        timed(lambda: view_counts(user, views), runs),
    )
    keys = [t.key for t in _tabs_for(user)]
    report(f"{who}: built-in badges {keys}", timed(lambda: tab_counts(user, keys), runs))
    # The live poll on tickets this person can see.
    scope = Ticket.objects.filter(queue_id__in=user.queue_memberships.values("queue_id"))
    if who == "admin":
        scope = Ticket.objects.all()
    ids = list(scope.filter(pk__gt=rng.randint(1, max_id)).values_list("pk", flat=True)[:50])

    versions = {pk: ticket_version(user, get_visible_ticket(user, pk)) for pk in ids}

    def poll():
        pk = rng.choice(ids)
        request = factory.get(f"/tickets/{pk}/live/", {"v": versions[pk]})
        request.user = user
        assert ticket_live(request, pk).status_code == 204

    def version_only():
        pk = rng.choice(ids)
        ticket = get_visible_ticket(user, pk)
        version = ticket_version(user, ticket)
        changed_by_others(user, ticket, max(0, version - 1))

    report(f"{who}: live poll, unchanged (204)", timed(poll, runs))
    report(f"{who}: live version + who-changed queries", timed(version_only, runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "run with DATABASE_URL pointing at PostgreSQL"
    total = Ticket.objects.count()
    handler = User.objects.get(username="bench-h0-0")
    admin = User.objects.get(username="bench-admin")
    requester_id = Ticket.objects.order_by("-id").values_list("requester_id", flat=True)[0]
    print(f"{total:,} tickets; cache: {cache.__class__.__name__}; {args.runs} runs each\n")
    for who, user in (("handler", handler), ("admin", admin)):
        bench_person(who, user, requester_id, args.runs)


if __name__ == "__main__":
    main()
