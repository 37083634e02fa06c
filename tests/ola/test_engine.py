"""The OLA engine end to end through the ticket services, with time travel."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from andon.accounts.models import Department
from andon.notifications.models import Notification, OutboxMessage
from andon.ola import engine
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer, TimerState
from andon.tickets import services
from andon.tickets.models import TicketEvent
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday


def all_week_calendar(name="全天候"):
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return BusinessCalendar.objects.create(
        name=name,
        time_zone="Asia/Shanghai",
        weekly_windows={d: [["00:00", "24:00"]] for d in days},
        follows_china_holidays=False,
    )


def office_calendar():
    workday = [["09:00", "12:00"], ["13:00", "18:00"]]
    return BusinessCalendar.objects.create(
        name="办公时间",
        time_zone="Asia/Shanghai",
        weekly_windows={
            **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), workday),
            "sat": [],
            "sun": [],
        },
        follows_china_holidays=False,
    )


@pytest.fixture
def org(db):
    """handler ← direct leader; handler's department 运维组 (leader) under 技术部 (leader)."""
    tech = Department.objects.create(name="技术部")
    ops = Department.objects.create(name="运维组", parent=tech)
    cto = factories.handler(display_name="技术总监")
    tech.leaders.add(cto)
    ops_lead = factories.handler(display_name="运维组长")
    ops.leaders.add(ops_lead)
    mentor = factories.handler(display_name="直属上级")
    worker = factories.handler(display_name="值班工程师", main_department=ops)
    worker.direct_leaders.add(mentor)
    queue = factories.QueueFactory(name="网络运维")
    factories.add_members(queue, worker)
    return {"queue": queue, "worker": worker, "mentor": mentor, "ops_lead": ops_lead, "cto": cto}


@pytest.fixture
def policy(org):
    return OlaPolicy.objects.create(
        queue=org["queue"],
        calendar=all_week_calendar(),
        response_minutes={"L1": 10, "L2": 30, "L3": 60, "L4": 120},
        resolution_minutes={"L1": 60, "L2": 120, "L3": 240, "L4": 480},
        urge_threshold=2,
        warn_at_percent=80,
        escalation_interval_minutes=30,
        max_level=4,
    )


@pytest.fixture
def ticket(org, policy):
    entry = factories.catalog_leaf(org["queue"])
    with time_machine.travel(T0, tick=False):
        return factories.make_ticket(actor=factories.requester(), entry=entry, priority="L3")


def timer(ticket, metric):
    return OlaTimer.objects.get(ticket=ticket, metric=metric, active=True)


def run_due(at):
    with time_machine.travel(at, tick=False):
        return engine.sweep()


def alerted(kind):
    return [
        [r["name"] for r in e.after["recipients"]]
        for e in TicketEvent.objects.filter(kind=kind).order_by("id")
    ]


def test_entering_the_queue_starts_response_and_resolution_timers(ticket):
    response, resolution = timer(ticket, "response"), timer(ticket, "resolution")
    assert response.due_at == T0 + timedelta(minutes=60)
    assert response.warn_at == T0 + timedelta(minutes=48)
    assert response.next_action_at == response.warn_at
    assert resolution.due_at == T0 + timedelta(minutes=240)
    assert response.policy["warn_at_percent"] == 80  # a snapshot of the policy
    assert response.token


def test_warning_then_breach_then_climb_up_the_org_chart(ticket, org):
    response = timer(ticket, "response")
    assert run_due(T0 + timedelta(minutes=47)) == 0  # nothing due yet
    assert run_due(T0 + timedelta(minutes=48)) == 1
    assert alerted("ola_warning") == [["值班工程师"]]
    assert run_due(T0 + timedelta(minutes=60)) == 1
    response.refresh_from_db()
    assert response.state == TimerState.BREACHED
    assert response.breached_at == T0 + timedelta(minutes=60)
    assert alerted("ola_breached") == [["值班工程师"]]
    # Every 30 minutes one level up: direct leader, department leader, parent department leader.
    for minutes in (90, 120, 150):
        assert run_due(T0 + timedelta(minutes=minutes)) >= 1
    assert alerted("ola_escalated")[:3] == [["直属上级"], ["运维组长"], ["技术总监"]]
    response.refresh_from_db()
    assert response.level == 4
    assert response.next_action_at is None  # max_level reached: the climb ends
    assert Alert.objects.filter(timer=response).count() == 5
    assert set(
        Notification.objects.filter(kind="ola_escalated").values_list(
            "recipient__display_name", flat=True
        )
    ) >= {"直属上级", "运维组长", "技术总监"}


def test_acting_on_the_ticket_stops_the_climb(ticket, org):
    run_due(T0 + timedelta(minutes=48))  # warned
    run_due(T0 + timedelta(minutes=61))  # breached
    with time_machine.travel(T0 + timedelta(minutes=70), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=org["worker"])
    response = OlaTimer.objects.get(ticket=ticket, metric="response")
    assert response.active is False
    assert response.state == TimerState.BREACHED  # the outcome stays for the reports
    assert response.met_at == T0 + timedelta(minutes=70)
    assert response.elapsed_seconds == 70 * 60
    assert response.next_action_at is None
    run_due(T0 + timedelta(minutes=200))  # the resolution timer warns; response stays quiet
    assert TicketEvent.objects.filter(kind="ola_warning", after__metric="resolution").exists()
    assert not TicketEvent.objects.filter(kind="ola_escalated", after__metric="response").exists()


def test_response_met_in_time_records_elapsed_business_time(ticket, org):
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=org["worker"])
    response = OlaTimer.objects.get(ticket=ticket, metric="response")
    assert (response.state, response.elapsed_seconds) == (TimerState.MET, 300)
    assert timer(ticket, "resolution").state == TimerState.RUNNING


def test_need_info_pauses_and_resume_continues_with_time_left(ticket, org):
    worker = org["worker"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=worker)
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        services.request_info(ticket_id=ticket.pk, actor=worker, note="请提供截图")
    resolution = timer(ticket, "resolution")
    assert resolution.state == TimerState.PAUSED
    assert resolution.remaining_seconds == 200 * 60
    assert resolution.next_action_at is None
    assert run_due(T0 + timedelta(hours=10)) == 0  # paused: nothing fires
    with time_machine.travel(T0 + timedelta(hours=10), tick=False):
        services.resume_ticket(ticket_id=ticket.pk, actor=ticket.requester, note="已上传")
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    assert resolution.due_at == T0 + timedelta(hours=10, minutes=200)


def test_resolve_meets_resolution_and_reopen_resumes_it(ticket, org):
    worker = org["worker"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=worker)
    with time_machine.travel(T0 + timedelta(minutes=100), tick=False):
        services.resolve_ticket(ticket_id=ticket.pk, actor=worker, resolution="已重启")
    resolution = OlaTimer.objects.get(ticket=ticket, metric="resolution")
    assert (resolution.state, resolution.elapsed_seconds, resolution.active) == (
        TimerState.MET,
        100 * 60,
        False,
    )
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        services.reopen_ticket(ticket_id=ticket.pk, actor=ticket.requester, reason="又坏了")
    resolution.refresh_from_db()
    assert resolution.active and resolution.state == TimerState.RUNNING
    assert resolution.due_at == T0 + timedelta(hours=5, minutes=140)


def test_transfer_to_another_queue_measures_each_team_on_its_own_time(ticket, org):
    worker = org["worker"]
    second = factories.QueueFactory(name="应用研发")
    developer = factories.handler()
    factories.add_members(second, developer)
    OlaPolicy.objects.create(
        queue=second,
        calendar=all_week_calendar("研发日历"),
        response_minutes={"L3": 15},
        resolution_minutes={"L3": 90},
    )
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=worker)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        services.transfer_ticket(ticket_id=ticket.pk, actor=worker, queue_id=second.pk)
    old = OlaTimer.objects.get(ticket=ticket, queue=org["queue"], metric="resolution")
    assert (old.active, old.state, old.stopped_reason) == (False, TimerState.STOPPED, "transferred")
    new = OlaTimer.objects.filter(ticket=ticket, queue=second, active=True)
    assert {t.metric: t.due_at for t in new} == {
        "response": T0 + timedelta(minutes=45),
        "resolution": T0 + timedelta(minutes=120),
    }


def test_urge_threshold_alerts_at_once_and_climbs(ticket, org, settings):
    settings.URGE_MIN_INTERVAL_SECONDS = 0
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        services.urge_ticket(ticket_id=ticket.pk, actor=ticket.requester)
    assert not OlaTimer.objects.filter(ticket=ticket, metric="urge").exists()
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        services.urge_ticket(ticket_id=ticket.pk, actor=factories.admin())
    urge = OlaTimer.objects.get(ticket=ticket, metric="urge")
    assert (urge.state, urge.level) == (TimerState.BREACHED, 1)
    assert alerted("ola_breached") == [["值班工程师"]]
    assert run_due(T0 + timedelta(minutes=32)) >= 1
    assert ["直属上级"] in alerted("ola_escalated")


def test_stale_token_and_repeated_step_do_nothing(ticket):
    response = timer(ticket, "response")
    token = response.token
    at = response.warn_at
    with time_machine.travel(at, tick=False):
        assert engine.step(timer_id=response.pk, token="not-the-token") == "stale"
        assert engine.step(timer_id=response.pk, token=token) == "warned"
        assert engine.step(timer_id=response.pk, token=token) == "stale"  # a duplicate task
    assert TicketEvent.objects.filter(kind="ola_warning").count() == 1


def test_alert_copies_go_to_the_outbox_once_per_level_recipient_channel(ticket, org):
    org["worker"].email = "worker@example.com"
    org["worker"].save()
    run_due(T0 + timedelta(minutes=48))
    run_due(T0 + timedelta(minutes=60))
    response = OlaTimer.objects.get(ticket=ticket, metric="response")
    keys = set(OutboxMessage.objects.filter(key__startswith="ola:").values_list("key", flat=True))
    assert keys == {
        f"ola:{response.pk}:0:{org['worker'].pk}:email",
        f"ola:{response.pk}:1:{org['worker'].pk}:email",
    }


def test_pool_ticket_alerts_the_queue_members(org, policy):
    org["queue"].dispatch_rule = "manual"
    org["queue"].save()
    other = factories.handler(display_name="二号")
    factories.add_members(org["queue"], other)
    entry = factories.catalog_leaf(org["queue"])
    with time_machine.travel(T0, tick=False):
        pooled = factories.make_ticket(actor=factories.requester(), entry=entry)
    assert pooled.assignee_id is None
    run_due(T0 + timedelta(minutes=48))
    assert sorted(alerted("ola_warning")[0]) == sorted(["值班工程师", "二号"])


def test_business_calendar_moves_due_time_over_the_weekend(org):
    OlaPolicy.objects.create(
        queue=org["queue"],
        calendar=office_calendar(),
        response_minutes={"L3": 120},
        resolution_minutes={"L3": 600},
    )
    entry = factories.catalog_leaf(org["queue"])
    friday_evening = datetime(2026, 3, 6, 17, 0, tzinfo=TZ)
    with time_machine.travel(friday_evening, tick=False):
        late = factories.make_ticket(actor=factories.requester(), entry=entry)
    assert timer(late, "response").due_at == datetime(2026, 3, 9, 10, 0, tzinfo=TZ)


def test_closing_stops_every_timer(ticket, org):
    manager = factories.admin()
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        services.close_ticket(ticket_id=ticket.pk, actor=manager, note="重复工单")
    assert not OlaTimer.objects.filter(ticket=ticket, active=True).exists()
    assert set(OlaTimer.objects.filter(ticket=ticket).values_list("stopped_reason", flat=True)) == {
        "closed"
    }
    assert run_due(T0 + timedelta(days=1)) == 0


def test_sweeper_catches_a_lost_step_and_escalation_skips_people_already_told(ticket, org):
    org["worker"].direct_leaders.add(org["ops_lead"])  # the group leader is also a direct leader
    run_due(T0 + timedelta(minutes=48))
    run_due(T0 + timedelta(minutes=60))
    run_due(T0 + timedelta(minutes=90))
    run_due(T0 + timedelta(minutes=120))
    escalations = alerted("ola_escalated")
    assert sorted(escalations[0]) == ["直属上级", "运维组长"]
    assert escalations[1] == ["技术总监"]  # 运维组长 was told already: straight to the next level


def test_a_late_response_is_a_breach_even_when_no_step_ran(ticket, org):
    # The worker was down: nothing warned or breached, and the handler answers after the due time.
    with time_machine.travel(T0 + timedelta(minutes=75), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=org["worker"])
    response = OlaTimer.objects.get(ticket=ticket, metric="response")
    assert response.state == TimerState.BREACHED
    assert response.breached_at == T0 + timedelta(minutes=60)
    assert response.elapsed_seconds == 75 * 60
    assert response.active is False
