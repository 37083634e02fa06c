"""Org chart sync benchmark: 10,000 people in 1,000 departments from the local WeCom server.

    python bench/wecom_sync_bench.py                       # a throw-away SQLite database
    DATABASE_URL=postgres://postgres@localhost:5432/andon_bench python bench/wecom_sync_bench.py

Starts tests/wecom_server.py's FakeWeCom on 127.0.0.1 with a generated tenant (a tree of
--departments departments, ten children per parent; --people members, one leader per department,
each member's direct leader being their department's leader, one in ten members in a second
department), then times three full syncs through `andon.wecom.orgsync.run_sync` — real HTTP
(department/list, one paged user/list per department, agent/get) and real database writes:
1. the first sync, which creates every department, person and leader link;
2. a second sync with nothing changed;
3. a sync after 5 % of the people moved department and 1 % left (deactivations).
Aim: each under 60 s. Without DATABASE_URL a temporary SQLite database is created and removed;
with it, the people and departments it creates are deleted at the end.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")
_TMP = None
if not os.environ.get("DATABASE_URL"):
    _TMP = tempfile.TemporaryDirectory(prefix="andon-wecom-bench-")
    os.environ["ANDON_DATA_DIR"] = _TMP.name
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from andon.accounts.models import Department, User  # noqa: E402
from andon.wecom import orgsync  # noqa: E402
from andon.wecom.models import AccessToken, SyncRun  # noqa: E402
from tests.wecom_server import FakeWeCom, _user  # noqa: E402


def tenant(departments: int, people: int, seed: int = 7):
    rng = random.Random(seed)
    depts = [{"id": 1, "name": "基准集团", "parentid": 0, "order": 1, "department_leader": []}]
    for n in range(2, departments + 1):
        depts.append(
            {
                "id": n,
                "name": f"部门{n:04d}",
                "parentid": max(1, n // 10),
                "order": n,
                "department_leader": [],
            }
        )
    users = {}
    leaders: dict[int, str] = {}
    for n in range(people):
        userid = f"u{n:05d}"
        dept = depts[n % departments]["id"]
        extra = [depts[rng.randrange(departments)]["id"]] if n % 10 == 0 else []
        departments_of = [dept] + [d for d in extra if d != dept]
        is_leader = dept not in leaders
        if is_leader:
            leaders[dept] = userid
        users[userid] = _user(
            userid,
            f"员工{n:05d}",
            departments_of,
            [1 if is_leader else 0] + [0] * (len(departments_of) - 1),
            [],
            "职员",
        )
    for dept in depts:
        dept["department_leader"] = [leaders[dept["id"]]] if dept["id"] in leaders else []
    for userid, user in users.items():
        dept = user["department"][0]
        leader = leaders.get(dept)
        if leader == userid:
            parent = next(d["parentid"] for d in depts if d["id"] == dept)
            leader = leaders.get(parent)
        user["direct_leader"] = [leader] if leader and leader != userid else []
    return depts, users


def timed_sync(label: str) -> float:
    run = SyncRun.objects.create(created_at=timezone.now())
    started = time.perf_counter()
    run = orgsync.run_sync(run.pk)
    seconds = time.perf_counter() - started
    if run.state != SyncRun.State.DONE:
        raise SystemExit(f"{label}: the sync failed: {run.error}")
    counts = ", ".join(f"{k} {v}" for k, v in run.summary["counts"].items()) or "no changes"
    print(f"{label:<28} {seconds:7.2f} s   {counts}")
    return seconds


def cleanup() -> None:
    users = User.objects.filter(wecom_userid__startswith="u")
    User.direct_leaders.through.objects.filter(from_user__in=users).delete()
    Department.leaders.through.objects.filter(user__in=users).delete()
    users.delete()
    for dept in Department.objects.filter(wecom_id__isnull=False).order_by("-wecom_id"):
        dept.delete()
    AccessToken.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10000)
    options = parser.parse_args()
    if _TMP is not None:
        call_command("migrate", verbosity=0)
    depts, users = tenant(options.departments, options.people)
    server = FakeWeCom(departments=depts, users=users).start()
    settings.WECOM_API_BASE = server.base_url
    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID = server.corp_id, server.agent_id
    settings.WECOM_SECRET = server.secret
    print(
        f"{options.people} people in {options.departments} departments "
        f"({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
    )
    try:
        timed_sync("first sync (creates all)")
        timed_sync("second sync (no changes)")
        rng = random.Random(11)
        ids = sorted(users)
        for userid in rng.sample(ids, len(ids) // 20):
            server.set_user(userid, department=[rng.randrange(1, options.departments + 1)])
        for userid in rng.sample(ids, len(ids) // 100):
            server.remove_user(userid)
        timed_sync("after 5 % moves, 1 % leave")
        print(f"WeCom API calls: {len(server.calls)}")
    finally:
        server.stop()
        if _TMP is None:
            cleanup()


if __name__ == "__main__":
    main()
