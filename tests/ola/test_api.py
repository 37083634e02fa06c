"""The OLA API: calendars and exception dates, queue policies, recommendations, a ticket's
timers (with time travel)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from andon.audit.models import AuditEntry
from andon.ola.models import BusinessCalendar, OlaPolicy, OlaTimer
from andon.tickets import services
from tests import factories
from tests.api.conftest import assert_error, client_for

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday
OFFICE = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def admin(db):
    return factories.admin()


@pytest.fixture
def office(db):
    return BusinessCalendar.objects.create(
        name="办公时间", weekly_windows=OFFICE, follows_china_holidays=False
    )


# --- calendars -------------------------------------------------------------------------------


def test_calendar_crud_with_exceptions(admin):
    api = client_for(admin)
    response = api.post(
        "/api/v1/calendars/",
        {"name": "运维日历", "weekly_windows": OFFICE, "follows_china_holidays": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    cal = body["id"]
    assert body["weekly_windows"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert body["weekly_windows"]["sat"] == []
    assert isinstance(body["warnings"], list)

    r = api.post(
        f"/api/v1/calendars/{cal}/exceptions/",
        {"date": "2026-05-09", "kind": "workday", "note": "调休"},
        format="json",
    )
    assert r.status_code == 200
    assert r.json()["exceptions"] == [{"date": "2026-05-09", "kind": "workday", "note": "调休"}]
    r = api.patch(f"/api/v1/calendars/{cal}/", {"description": "新说明"}, format="json")
    assert r.status_code == 200 and r.json()["description"] == "新说明"
    r = api.delete(f"/api/v1/calendars/{cal}/exceptions/?date=2026-05-09")
    assert r.status_code == 200 and r.json()["exceptions"] == []
    assert_error(
        api.delete(f"/api/v1/calendars/{cal}/exceptions/", {"date": "2026-05-09"}, format="json"),
        404,
        "not_found",
    )
    assert api.get("/api/v1/calendars/").status_code == 200
    assert api.delete(f"/api/v1/calendars/{cal}/").status_code == 204
    assert not BusinessCalendar.objects.filter(pk=cal).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"create", "update", "exception.set", "exception.remove", "delete"} <= actions


def test_calendar_validation_errors(admin):
    api = client_for(admin)
    body = assert_error(
        api.post(
            "/api/v1/calendars/",
            {"name": "", "weekly_windows": {"mon": [["12:00", "09:00"]]}, "time_zone": "Mars/X"},
            format="json",
        ),
        400,
        "invalid",
    )
    assert {"name", "weekly_windows", "time_zone"} <= set(body["errors"])
    assert BusinessCalendar.objects.filter(name="").count() == 0
    cal = BusinessCalendar.objects.get(is_builtin=True)
    assert_error(
        api.post(f"/api/v1/calendars/{cal.pk}/exceptions/", {"date": "x", "kind": "holiday"}),
        409,
    )
    assert_error(api.delete(f"/api/v1/calendars/{cal.pk}/"), 409, "conflict")
    assert_error(api.get("/api/v1/calendars/999999/"), 404, "not_found")
    assert_error(api.post("/api/v1/calendars/", [1, 2], format="json"), 400)


def test_calendar_warns_for_years_without_holiday_data(admin):
    api = client_for(admin)
    with time_machine.travel(datetime(2098, 6, 1, tzinfo=TZ)):
        r = api.post(
            "/api/v1/calendars/",
            {"name": "远期", "weekly_windows": OFFICE, "follows_china_holidays": True},
            format="json",
        )
        assert r.status_code == 201
        warnings = r.json()["warnings"]
        assert len(warnings) == 2 and "2098" in warnings[0] and "2099" in warnings[1]
        r = api.patch(
            f"/api/v1/calendars/{r.json()['id']}/",
            {"manual_holiday_years": [2098, 2099]},
            format="json",
        )
        assert r.json()["warnings"] == []


def test_calendars_need_queue_manage(db):
    api = client_for(factories.handler())
    assert_error(api.get("/api/v1/calendars/"), 403, "permission_denied")


# --- policies ----------------------------------------------------------------------------------


def test_policy_defaults_then_put(admin, queue, office):
    api = client_for(admin)
    url = f"/api/v1/queues/{queue.pk}/ola-policy/"
    body = api.get(url).json()
    assert body["configured"] is False and body["response_minutes"]["L1"] == 15
    assert "不会改写" in body["note"]
    r = api.put(
        url,
        {
            "calendar": office.pk,
            "response_minutes": {"L1": 10, "L2": 20, "L3": 60, "L4": 120},
            "resolution_minutes": {"L1": 60, "L2": 120, "L3": 480, "L4": 960},
            "urge_threshold": 3,
            "warn_at_percent": 75,
            "escalation_interval_minutes": 15,
            "max_level": 4,
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["configured"] is True
    assert body["calendar"] == {"id": office.pk, "name": "办公时间"}
    assert body["response_minutes"] == {"L1": 10, "L2": 20, "L3": 60, "L4": 120}
    assert body["max_level"] == 4
    assert AuditEntry.objects.filter(action="ola_policy").count() == 1


def test_policy_put_errors_are_per_field_and_write_nothing(admin, queue, office):
    api = client_for(admin)
    url = f"/api/v1/queues/{queue.pk}/ola-policy/"
    body = assert_error(
        api.put(
            url,
            {
                "calendar": 999999,
                "response_minutes": {"L1": -5},
                "warn_at_percent": 150,
                "max_level": "x",
            },
            format="json",
        ),
        400,
        "invalid",
    )
    assert {"calendar", "response_minutes.L1", "warn_at_percent", "max_level"} <= set(
        body["errors"]
    )
    assert not OlaPolicy.objects.exists()
    assert_error(api.put(url, {"bogus": 1}, format="json"), 400, field="bogus")
    assert_error(api.get("/api/v1/queues/999999/ola-policy/"), 404)
    assert_error(client_for(factories.handler()).put(url, {}, format="json"), 403)


def _policy(queue, calendar, **kwargs):
    values = {
        "response_minutes": {"L1": 10, "L2": 30, "L3": 60, "L4": 120},
        "resolution_minutes": {"L1": 60, "L2": 120, "L3": 240, "L4": 480},
        "warn_at_percent": 80,
        "escalation_interval_minutes": 30,
        "max_level": 3,
        **kwargs,
    }
    return OlaPolicy.objects.create(queue=queue, calendar=calendar, **values)


def test_put_keeps_running_timers_and_apply_rewrites_them(admin, queue, handlers, entry, office):
    _policy(queue, office)
    with time_machine.travel(T0, tick=False):
        ticket = factories.make_ticket(actor=factories.requester(), entry=entry, priority="L3")
        timer = OlaTimer.objects.get(ticket=ticket, metric="resolution")
        assert timer.target_seconds == 240 * 60
        api = client_for(admin)
        url = f"/api/v1/queues/{queue.pk}/ola-policy/"
        api.put(url, {"resolution_minutes": {"L3": 480}}, format="json")
        timer.refresh_from_db()
        assert timer.target_seconds == 240 * 60  # the snapshot stays
        r = api.post(url + "apply/")
        assert r.status_code == 200 and r.json()["timers"] >= 1
        timer.refresh_from_db()
        assert timer.target_seconds == 480 * 60
        # 10:00 Monday + 8 working hours (lunch 12–13) → Tuesday 10:00
        assert timer.due_at == datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
    assert AuditEntry.objects.filter(action="ola_apply").exists()


def test_apply_without_policy_is_400(admin, queue):
    assert_error(
        client_for(admin).post(f"/api/v1/queues/{queue.pk}/ola-policy/apply/"), 400, "no_policy"
    )


# --- recommendations ----------------------------------------------------------------------------


def _history(queue, entry, handler, n, *, priority="L2", minutes=20):
    for i in range(n):
        start = T0 - timedelta(days=10) + timedelta(hours=i)
        with time_machine.travel(start, tick=False):
            ticket = factories.make_ticket(
                actor=factories.requester(), entry=entry, priority=priority
            )
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            services.claim_ticket(ticket_id=ticket.pk, actor=ticket.assignee)
            services.resolve_ticket(ticket_id=ticket.pk, actor=ticket.assignee, resolution="好了")


def test_recommendation_and_adopt(admin, queue, handlers, entry):
    _history(queue, entry, handlers[0], 10)
    api = client_for(admin)
    url = f"/api/v1/queues/{queue.pk}/ola-recommendation/"
    with time_machine.travel(T0, tick=False):
        body = api.get(url + "?days=90").json()
        assert body["tickets"] == 10 and body["percentile"] == 90
        l2 = next(p for p in body["resolution"] if p["priority"] == "L2")
        assert l2["samples"] == 10 and l2["proposed_minutes"] == 20 and l2["would_breach"] == 0
        l1 = next(p for p in body["resolution"] if p["priority"] == "L1")
        assert l1["proposed_minutes"] is None and "样本不足" in l1["reason"]
        r = api.post(url + "adopt/", {"days": 90}, format="json")
        assert r.status_code == 200, r.content
        assert r.json()["resolution_minutes"]["L2"] == 20
        assert AuditEntry.objects.filter(action="ola_adopt").exists()
    assert_error(api.get(url + "?days=abc"), 400, field="days")


def test_adopt_with_too_few_samples_is_400(admin, queue):
    body = assert_error(
        client_for(admin).post(f"/api/v1/queues/{queue.pk}/ola-recommendation/adopt/"),
        400,
        "no_recommendation",
    )
    assert "样本不足" in body["detail"]


# --- a ticket's timers --------------------------------------------------------------------------


def test_ticket_ola_counts_down_in_business_time(queue, handlers, entry, office):
    _policy(queue, office, escalation_interval_minutes=30)
    requester = factories.requester()
    with time_machine.travel(T0, tick=False):
        ticket = factories.make_ticket(actor=requester, entry=entry, priority="L3")
    api = client_for(requester)
    url = f"/api/v1/tickets/{ticket.pk}/ola/"
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        body = api.get(url).json()
    assert body["configured"] is True
    timers = {t["metric"]: t for t in body["timers"]}
    response = timers["response"]
    assert response["state"] == "running" and response["remaining_seconds"] == 45 * 60
    assert response["ticking"] is True and response["next_step"] == "warning"
    assert timers["resolution"]["remaining_seconds"] == (240 - 15) * 60
    # Over lunch the clock stands still.
    with time_machine.travel(datetime(2026, 3, 2, 12, 30, tzinfo=TZ), tick=False):
        body = api.get(url).json()
    resolution = next(t for t in body["timers"] if t["metric"] == "resolution")
    assert resolution["ticking"] is False and resolution["remaining_seconds"] == 120 * 60


def test_ticket_ola_after_breach_shows_level_and_next_escalation(queue, handlers, entry, office):
    from andon.ola import engine

    _policy(queue, office, escalation_interval_minutes=30)
    requester = factories.requester()
    with time_machine.travel(T0, tick=False):
        ticket = factories.make_ticket(actor=requester, entry=entry, priority="L3")
    at = T0 + timedelta(minutes=61)
    with time_machine.travel(at, tick=False):
        engine.sweep(now=at)  # warning
        engine.sweep(now=at)  # breach
        body = client_for(requester).get(f"/api/v1/tickets/{ticket.pk}/ola/").json()
    response = next(t for t in body["timers"] if t["metric"] == "response")
    assert response["state"] == "breached" and response["level"] == 1
    assert response["breached_at"] == "2026-03-02T11:00:00+08:00"
    assert response["overdue_seconds"] == 60
    assert response["next_step"] == "escalation"
    assert response["next_escalation_at"] == "2026-03-02T11:31:00+08:00"


def test_ticket_ola_is_404_for_those_who_cannot_see_it(queue, handlers, entry):
    ticket = factories.make_ticket(actor=factories.requester(), entry=entry)
    assert_error(client_for(factories.requester()).get(f"/api/v1/tickets/{ticket.pk}/ola/"), 404)
    body = client_for(handlers[0]).get(f"/api/v1/tickets/{ticket.pk}/ola/").json()
    assert body == {"configured": False, "now": body["now"], "timers": []}


def test_paused_timer_shows_paused(queue, handlers, entry, office):
    _policy(queue, office)
    with time_machine.travel(T0, tick=False):
        ticket = factories.make_ticket(actor=factories.requester(), entry=entry, priority="L3")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
        services.request_info(ticket_id=ticket.pk, actor=handlers[0], note="请截图")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        body = client_for(handlers[0]).get(f"/api/v1/tickets/{ticket.pk}/ola/").json()
    resolution = next(t for t in body["timers"] if t["metric"] == "resolution")
    assert resolution["state"] == "paused" and resolution["paused"] is True
    assert resolution["remaining_seconds"] == (240 - 5) * 60 and resolution["ticking"] is False
