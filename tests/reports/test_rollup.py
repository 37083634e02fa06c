"""The daily roll-up stays equal to a rebuild from the raw data, however tickets change.

The desk below goes through four days of real service calls (create, comment, urge, transfer,
re-prioritise, resolve, reopen, confirm, close, cancel, OLA breaches from the sweeper); after each
day the incremental refresh must leave exactly the rows a full rebuild writes."""

import threading
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction

from andon.ola import engine
from andon.ola.models import BusinessCalendar, OlaPolicy
from andon.reports import rollup
from andon.reports.models import DailyRollup, RollupDirtyDay, RollupState
from andon.reports.tasks import reports_rollup_task
from andon.tickets import services
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, tzinfo=TZ)
COLUMNS = [
    f.attname for f in DailyRollup._meta.concrete_fields if f.name != "id"
]  # day, the dimensions, every counter


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def table() -> list[tuple]:
    return sorted(
        DailyRollup.objects.values_list(*COLUMNS),
        key=lambda row: tuple("" if v is None else str(v) for v in row),
    )


def refresh_all() -> None:
    factories.fan_out_pending()  # the worker marks the days after each commit
    while rollup.refresh():
        pass


def assert_matches_rebuild() -> list[tuple]:
    refresh_all()
    assert not RollupDirtyDay.objects.exists()
    incremental = table()
    rollup.rebuild()
    assert incremental == table()
    return incremental


@pytest.fixture
def org(db):
    calendar = BusinessCalendar.objects.create(
        name="全天候",
        time_zone="Asia/Shanghai",
        weekly_windows={
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        follows_china_holidays=False,
    )
    desk, network = factories.QueueFactory(name="桌面"), factories.QueueFactory(name="网络")
    h1, h2 = factories.handler(username="h1"), factories.handler(username="h2")
    factories.add_members(desk, h1)
    factories.add_members(network, h2)
    for queue in (desk, network):
        OlaPolicy.objects.create(
            queue=queue,
            calendar=calendar,
            response_minutes={"L1": 10, "L2": 30, "L3": 60, "L4": 120},
            resolution_minutes={"L1": 60, "L2": 240, "L3": 480, "L4": 960},
            urge_threshold=3,
            warn_at_percent=80,
            escalation_interval_minutes=30,
            max_level=2,
        )
    return {
        "desk": desk,
        "network": network,
        "h1": h1,
        "h2": h2,
        "desk_entry": factories.catalog_leaf(desk),
        "network_entry": factories.catalog_leaf(network),
        "requester": factories.requester(username="req"),
        "admin": factories.admin(username="boss"),
    }


def test_four_days_of_service_calls_keep_the_rollup_equal_to_a_rebuild(org):
    rollup.rebuild()  # an empty, built roll-up: from here on only marks bring changes in
    r, h1, h2, boss = org["requester"], org["h1"], org["h2"], org["admin"]

    with time_machine.travel(at(0, 10), tick=False):
        t1 = factories.make_ticket(actor=r, entry=org["desk_entry"], priority="L2")
        t2 = factories.make_ticket(actor=r, entry=org["desk_entry"], channel="api")
        t3 = factories.make_ticket(actor=r, entry=org["network_entry"], priority="L4")
    with time_machine.travel(at(0, 10, 5), tick=False):
        services.add_comment(ticket_id=t1.pk, actor=h1, body="看一下")  # response met
        services.urge_ticket(ticket_id=t2.pk, actor=r)
    monday = assert_matches_rebuild()
    assert sum(row[COLUMNS.index("created")] for row in monday) == 3
    assert sum(row[COLUMNS.index("response_met")] for row in monday) == 1

    with time_machine.travel(at(1, 9), tick=False):
        while engine.sweep():  # warnings, then breaches of t2's and t3's response targets
            pass
        services.resolve_ticket(ticket_id=t1.pk, actor=h1, resolution="重启后恢复")
        services.update_ticket(ticket_id=t2.pk, actor=boss, priority="L1")
        services.transfer_ticket(ticket_id=t2.pk, actor=h1, queue_id=org["network"].pk)
    tuesday = assert_matches_rebuild()
    assert sum(row[COLUMNS.index("response_breached")] for row in tuesday) == 2
    assert sum(row[COLUMNS.index("resolved")] for row in tuesday) == 1

    # The reopen clears Tuesday's resolution: Tuesday must be recomputed, not just Wednesday.
    with time_machine.travel(at(2, 11), tick=False):
        services.reopen_ticket(ticket_id=t1.pk, actor=r, reason="又坏了")
        services.resolve_ticket(ticket_id=t1.pk, actor=h1, resolution="换了网线")
        services.cancel_ticket(ticket_id=t3.pk, actor=r, reason="不需要了")
    wednesday = assert_matches_rebuild()
    resolved_by_day = {}
    for row in wednesday:
        day = row[COLUMNS.index("day")]
        resolved_by_day[day] = resolved_by_day.get(day, 0) + row[COLUMNS.index("resolved")]
    assert resolved_by_day.get(at(1, 0).date(), 0) == 0
    assert resolved_by_day[at(2, 0).date()] == 1
    assert sum(row[COLUMNS.index("reopened")] for row in wednesday) == 1
    assert sum(row[COLUMNS.index("finished")] for row in wednesday) == 2  # t1 and cancelled t3

    with time_machine.travel(at(3, 15), tick=False):
        services.confirm_ticket(ticket_id=t1.pk, actor=r)
        services.close_ticket(ticket_id=t1.pk, actor=boss)
        services.add_comment(ticket_id=t2.pk, actor=h2, body="网络组接手")
    assert_matches_rebuild()


def test_a_refresh_recomputes_only_the_marked_days(org):
    with time_machine.travel(at(0, 10), tick=False):
        factories.make_ticket(actor=org["requester"], entry=org["desk_entry"])
    rollup.rebuild()
    assert rollup.refresh() == 0  # nothing marked since
    DailyRollup.objects.all().delete()  # lose the rows, then mark only one other day
    rollup.mark_days([at(5, 0).date()])
    assert rollup.refresh() == 1
    assert not DailyRollup.objects.exists()  # Monday was not marked, so not recomputed
    rollup.mark_days([at(0, 0).date(), at(0, 0).date()])
    assert rollup.refresh() == 1
    assert DailyRollup.objects.get().created == 1


def test_the_first_refresh_builds_everything(org):
    with time_machine.travel(at(0, 10), tick=False):
        factories.make_ticket(actor=org["requester"], entry=org["desk_entry"])
    RollupDirtyDay.objects.all().delete()  # as if the marks predated the roll-up
    assert not RollupState.objects.exists()
    assert rollup.refresh() == 1
    assert DailyRollup.objects.get().created == 1
    assert rollup.refreshed_at() is not None


def test_the_command_and_the_worker_task_refresh(org):
    rollup.rebuild()
    with time_machine.travel(at(0, 10), tick=False):
        factories.make_ticket(actor=org["requester"], entry=org["desk_entry"])
    factories.fan_out_pending()
    reports_rollup_task.call_local()
    assert DailyRollup.objects.get().created == 1

    out = StringIO()
    call_command("reports_rollup", "--rebuild", stdout=out)
    assert "roll-up rebuilt: 1 rows" in out.getvalue()
    with time_machine.travel(at(1, 10), tick=False):
        factories.make_ticket(actor=org["requester"], entry=org["desk_entry"])
    factories.fan_out_pending()
    call_command("reports_rollup", stdout=out)
    assert "roll-up refreshed: 1 days recomputed" in out.getvalue()
    assert DailyRollup.objects.count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_during_a_refresh_is_picked_up_by_the_next():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two cannot overlap")
    factories.ensure_builtin_roles()
    queue = factories.QueueFactory()
    factories.add_members(queue, factories.handler())
    entry, requester = factories.catalog_leaf(queue), factories.requester()
    rollup.rebuild()
    marked, release = threading.Event(), threading.Event()
    errors = []

    def slow_change():
        try:
            with transaction.atomic():
                factories.make_ticket(actor=requester, entry=entry)  # marks today
                marked.set()
                release.wait(timeout=20)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_change)
    thread.start()
    assert marked.wait(timeout=20)
    assert rollup.refresh() == 0  # the uncommitted mark is invisible: nothing to do
    release.set()
    thread.join(timeout=20)
    assert not errors
    assert RollupDirtyDay.objects.exists()  # the committed change kept its mark
    assert rollup.refresh() == 1
    assert DailyRollup.objects.get().created == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_second_refresh_steps_aside_while_one_runs():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    rollup.rebuild()
    rollup.mark_days([MONDAY.date()])
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                RollupState.objects.select_for_update().get(pk=1)
                holding.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    assert holding.wait(timeout=20)
    assert rollup.refresh() == 0
    assert RollupDirtyDay.objects.count() == 1
    release.set()
    thread.join(timeout=20)
    assert rollup.refresh() == 1
