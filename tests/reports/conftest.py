"""A small desk with hand-computed report numbers (see the comments in test_numbers.py).

Every timestamp is explicit (local time, Asia/Shanghai); tickets and OLA timers are created as
rows so the numbers are exactly known. The report range is 2025-03-03 .. 2025-03-09."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from andon.ola.models import OlaTimer
from andon.reports import rollup
from andon.tickets.models import Ticket
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
RANGE = {"from": "2025-03-03", "to": "2025-03-09"}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


@dataclass
class Desk:
    qa: object
    qb: object
    qc: object
    p1: object
    e1: object
    e2: object
    p2: object
    e3: object
    e4: object
    ha: object
    hb: object
    hc: object
    lead: object
    loner: object
    observer: object
    admin: object
    agent: object
    nobody: object
    tickets: dict


def make(
    n,
    *,
    queue,
    entry,
    created,
    requester,
    priority="L3",
    status="processing",
    assignee=None,
    channel="web",
    resolved=None,
    closed=None,
    urges=0,
    reopens=0,
):
    return Ticket.objects.create(
        title=f"T{n} 工单",
        priority=priority,
        status=status,
        catalog_entry=entry,
        queue=queue,
        assignee=assignee,
        requester=requester,
        created_by=requester,
        channel=channel,
        urge_count=urges,
        reopen_count=reopens,
        created_at=created,
        updated_at=created,
        resolved_at=resolved,
        closed_at=closed,
    )


def timer(
    ticket,
    metric,
    *,
    started,
    state="met",
    active=False,
    queue=None,
    met=None,
    breached=None,
    elapsed=None,
    due=None,
):
    return OlaTimer.objects.create(
        ticket=ticket,
        queue=queue or ticket.queue,
        metric=metric,
        state=state,
        active=active,
        policy={},
        target_seconds=3600,
        started_at=started,
        due_at=due,
        met_at=met,
        breached_at=breached,
        elapsed_seconds=elapsed,
        created_at=started,
    )


@pytest.fixture
def desk(db, settings):
    return build_desk(settings)


def build_desk(settings) -> Desk:
    settings.TIME_ZONE = "Asia/Shanghai"
    timezone.activate(TZ)
    qa = factories.QueueFactory(name="桌面运维")
    qb = factories.QueueFactory(name="网络组")
    qc = factories.QueueFactory(name="无人队列")
    ha = factories.handler(username="ha", display_name="甲")
    hb = factories.handler(username="hb", display_name="乙")
    hc = factories.handler(username="hc", display_name="丙")
    factories.add_members(qa, ha, hb)
    factories.add_members(qb, hc)
    # The lead leads D; hc belongs to a sub-department of D, so the lead reports on qb.
    top = factories.DepartmentFactory(name="运维部")
    sub = factories.DepartmentFactory(name="网络科", parent=top)
    lead = factories.handler(username="lead", display_name="主管")
    top.leaders.add(lead)
    hc.main_department = sub
    hc.save()
    p1 = factories.CatalogEntryFactory(name="IT 服务")
    e1 = factories.CatalogEntryFactory(name="打印机", parent=p1, queue=qa)
    e2 = factories.CatalogEntryFactory(name="电脑", parent=p1, queue=qa)
    p2 = factories.CatalogEntryFactory(name="网络")
    e3 = factories.CatalogEntryFactory(name="VPN", parent=p2, queue=qb)
    e4 = factories.CatalogEntryFactory(name="其他", parent=p2, queue=qc)
    r = factories.requester(username="req")
    now = timezone.now()
    t = {}
    t[1] = make(
        1,
        queue=qa,
        entry=e1,
        created=at(3, 3, 10),
        requester=r,
        priority="L1",
        status="done",
        assignee=ha,
        resolved=at(3, 3, 15),
    )
    t[2] = make(
        2,
        queue=qa,
        entry=e1,
        created=at(3, 3, 11),
        requester=r,
        priority="L2",
        status="closed",
        assignee=ha,
        channel="portal",
        resolved=at(3, 5, 9),
        closed=at(3, 6, 10),
        urges=2,
        reopens=1,
    )
    t[3] = make(3, queue=qa, entry=e2, created=at(3, 4, 9, 30), requester=r, assignee=hb, urges=1)
    t[4] = make(
        4,
        queue=qb,
        entry=e3,
        created=at(3, 5, 14),
        requester=r,
        priority="L2",
        status="to_confirm",
        assignee=hc,
        channel="api",
        resolved=at(3, 7, 12),
    )
    t[5] = make(5, queue=qb, entry=e3, created=at(3, 6, 8), requester=r, status="pending", urges=3)
    t[6] = make(
        6,
        queue=qa,
        entry=e2,
        created=at(3, 2, 16),
        requester=r,
        priority="L4",
        status="done",
        assignee=hb,
        resolved=at(3, 4, 10),
        reopens=2,
    )
    t[7] = make(
        7,
        queue=qa,
        entry=e1,
        created=at(3, 1, 9),
        requester=r,
        status="cancelled",
        assignee=ha,
        closed=at(3, 3, 12),
    )
    t[8] = make(
        8,
        queue=qc,
        entry=e4,
        created=at(3, 8, 10),
        requester=r,
        priority="L1",
        status="pending",
        channel="email",
        urges=1,
    )
    t[9] = make(
        9, queue=qa, entry=e1, created=at(3, 10, 9), requester=r, priority="L2", assignee=ha
    )
    t[10] = make(10, queue=qb, entry=e3, created=at(2, 20, 9), requester=r, assignee=hc)

    R, S = "response", "resolution"
    timer(t[1], R, started=at(3, 3, 10), met=at(3, 3, 10, 10), elapsed=600)
    timer(t[1], S, started=at(3, 3, 10), met=at(3, 3, 15), elapsed=14400)
    timer(
        t[2],
        R,
        started=at(3, 3, 11),
        state="breached",
        breached=at(3, 3, 12),
        met=at(3, 3, 13),
        elapsed=3600,
    )
    timer(t[2], S, started=at(3, 3, 11), met=at(3, 5, 9), elapsed=28800)
    timer(t[3], R, started=at(3, 4, 9, 30), met=at(3, 4, 9, 50), elapsed=1200)
    timer(
        t[3], S, started=at(3, 4, 9, 30), state="running", active=True, due=now + timedelta(hours=2)
    )
    # A timer of the queue the ticket was transferred from: stopped, no outcome.
    timer(t[3], R, started=at(3, 4, 9, 30), state="stopped", queue=qb)
    timer(t[4], R, started=at(3, 5, 14), met=at(3, 5, 14, 5), elapsed=300)
    timer(
        t[4],
        S,
        started=at(3, 5, 14),
        state="breached",
        breached=at(3, 6, 14),
        met=at(3, 7, 12),
        elapsed=40000,
    )
    timer(t[5], R, started=at(3, 6, 8), state="breached", active=True, breached=at(3, 6, 9))
    timer(t[5], S, started=at(3, 6, 8), state="running", active=True, due=now + timedelta(hours=30))
    timer(t[5], "urge", started=at(3, 6, 12), state="breached", active=True, breached=at(3, 6, 12))
    timer(t[6], R, started=at(3, 2, 16), met=at(3, 2, 16, 20), elapsed=999)
    timer(t[8], R, started=at(3, 8, 10), state="running", active=True, due=now + timedelta(hours=1))
    timer(t[10], S, started=at(2, 20, 9), state="breached", active=True, breached=at(2, 21, 9))
    # The rows above bypass the services (to pin every timestamp), so nothing marked their
    # days: build the reports' roll-up from them as `andon reports_rollup --rebuild` would.
    rollup.rebuild()
    return Desk(
        qa=qa,
        qb=qb,
        qc=qc,
        p1=p1,
        e1=e1,
        e2=e2,
        p2=p2,
        e3=e3,
        e4=e4,
        ha=ha,
        hb=hb,
        hc=hc,
        lead=lead,
        loner=factories.handler(username="loner"),
        observer=factories.observer(username="observer"),
        admin=factories.admin(username="admin"),
        agent=factories.requester(username="agent"),
        nobody=factories.UserFactory(username="nobody"),
        tickets=t,
    )
