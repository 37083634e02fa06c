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
Aim: each under 60 s.

Then (unless --contacts 0) the customer sync (`andon.wecom.contacts_sync.full_sync`, part of
`andon wecom sync`): --contacts external contacts, each the customer of one to three of the first
--followers members (with remarks; one in three a WeCom user with a company name, so customers are
created), and --chats customer group chats of 20 members — timed as a first sync, a second sync
with nothing changed, and a sync after 5 % of the remarks changed. Aim: 50,000 contacts < 5 min.

Without DATABASE_URL a temporary SQLite database is created and removed;
with it, the people and departments it creates are deleted at the end.
"""

import argparse
import logging
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
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per WeCom call

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from andon.accounts.models import Department, User  # noqa: E402
from andon.customers.models import (  # noqa: E402
    Contact,
    ContactFollower,
    Customer,
    CustomerGroupChat,
    GroupChatMember,
)
from andon.wecom import contacts_sync, orgsync  # noqa: E402
from andon.wecom.models import AccessToken, SyncRun  # noqa: E402
from tests.wecom_external import external_userid  # noqa: E402
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


def customers(server: FakeWeCom, userids: list[str], contacts: int, chats: int, followers: int):
    rng = random.Random(13)
    staff = userids[:followers]
    for n in range(contacts):
        company = f"基准客户{n % 2000:04d}" if n % 3 == 0 else ""
        server.external.add_contact(
            external_userid(n),
            f"客户{n:06d}",
            followers=rng.sample(staff, rng.randint(1, 3)),
            remark=f"备注{n}",
            corp_name=company,
            type=2 if company else 1,
        )
    for n in range(chats):
        owner = staff[n % len(staff)]
        server.external.add_chat(
            f"wrBench{n:06d}",
            f"客户群{n:06d}",
            owner=owner,
            members=rng.sample(staff, 3),
            externals=[external_userid(rng.randrange(contacts)) for _ in range(16)],
        )


def timed_customer_sync(label: str) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    counts = contacts_sync.full_sync()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    shown = ", ".join(f"{k} {v}" for k, v in counts.items())
    # CPU time too: on a shared machine the wall clock mostly measures waiting for a core. It
    # counts this process's threads, the local WeCom server's included (not the database's).
    print(f"{label:<28} {seconds:7.2f} s (cpu {cpu:6.2f} s)   {shown}", flush=True)
    return seconds


def cleanup() -> None:
    GroupChatMember.objects.filter(chat__chat_id__startswith="wrBench").delete()
    CustomerGroupChat.objects.filter(chat_id__startswith="wrBench").delete()
    ContactFollower.objects.filter(contact__external_userid__startswith="wmAndon").delete()
    Contact.objects.filter(external_userid__startswith="wmAndon").delete()
    Customer.objects.filter(name__startswith="基准客户").delete()
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
    parser.add_argument("--contacts", type=int, default=50000)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--followers", type=int, default=500)
    parser.add_argument("--skip-org", action="store_true", help="sync the org chart once, untimed")
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
        ids = sorted(users)
        if not options.skip_org:
            timed_sync("second sync (no changes)")
            rng = random.Random(11)
            for userid in rng.sample(ids, len(ids) // 20):
                server.set_user(userid, department=[rng.randrange(1, options.departments + 1)])
            for userid in rng.sample(ids, len(ids) // 100):
                server.remove_user(userid)
            timed_sync("after 5 % moves, 1 % leave")
            print(f"WeCom API calls: {len(server.calls)}")
        if options.contacts:
            staff = [u for u in ids if u in server.users][: options.followers]
            customers(server, staff, options.contacts, options.chats, options.followers)
            print(
                f"{options.contacts} external contacts of {len(staff)} members, "
                f"{options.chats} customer group chats"
            )
            server.reset()
            timed_customer_sync("customers: first sync")
            print(f"WeCom API calls: {len(server.calls)}")
            timed_customer_sync("customers: no changes")
            rng = random.Random(17)
            for n in rng.sample(range(options.contacts), options.contacts // 20):
                follow = server.external.contacts[external_userid(n)]["follow_user"][0]
                follow["remark"] = f"改{n}"
            timed_customer_sync("customers: 5 % remarks")
    finally:
        server.stop()
        if _TMP is None:
            cleanup()


if __name__ == "__main__":
    main()
