"""OLA configuration pages and the ticket page's OLA zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from andon.ola import engine
from andon.ola.models import BusinessCalendar, CalendarException, OlaPolicy
from tests import factories
from tests.web.helpers import login

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
OFFICE = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def admin_client(client, db):
    return login(client, factories.admin())


def test_ola_index_lists_calendars_and_queues(admin_client, queue, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        html = admin_client.get("/config/ola/").content.decode()
    assert "7×24" in html or "全天候" in html or "工作日历" in html
    assert queue.name in html and "未配置 OLA" in html


def test_pages_need_queue_manage(client, queue):
    login(client, factories.handler())
    assert client.get("/config/ola/").status_code == 403
    assert client.get(f"/config/ola/queues/{queue.pk}/").status_code == 403


def test_calendar_create_edit_and_exceptions(admin_client):
    r = admin_client.post(
        "/config/ola/calendars/new/",
        {
            "name": "二线日历",
            "time_zone": "Asia/Shanghai",
            "day_mon": "09:00-12:00, 13:30-18:00",
            "day_tue": "09:00-18:00",
            "follows_china_holidays": "on",
        },
    )
    assert r.status_code == 302
    cal = BusinessCalendar.objects.get(name="二线日历")
    assert cal.weekly_windows["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert cal.follows_china_holidays is True
    url = f"/config/ola/calendars/{cal.pk}/"
    html = admin_client.get(url).content.decode()
    assert "09:00-12:00, 13:30-18:00" in html
    r = admin_client.post(
        url + "exceptions/", {"date": "2026-05-09", "kind": "workday", "note": "调休"}
    )
    assert r.status_code == 302
    assert CalendarException.objects.get(calendar=cal).kind == "workday"
    admin_client.post(url + "exceptions/remove/", {"date": "2026-05-09"})
    assert not CalendarException.objects.exists()
    bad = admin_client.post(url, {"name": "二线日历", "day_mon": "18:00-09:00"})
    assert bad.status_code == 400 and "开始时间应早于结束时间" in bad.content.decode()
    admin_client.post(url + "delete/")
    assert not BusinessCalendar.objects.filter(pk=cal.pk).exists()


def test_calendar_page_warns_for_missing_holiday_years(client, db):
    cal = BusinessCalendar.objects.create(
        name="远期", weekly_windows=OFFICE, follows_china_holidays=True
    )
    with time_machine.travel(datetime(2098, 6, 1, tzinfo=TZ)):
        login(client, factories.admin())  # a session made in 2026 would have expired
        html = client.get(f"/config/ola/calendars/{cal.pk}/").content.decode()
    assert html.count('data-testid="calendar-warning"') == 2 and "2098" in html


def test_policy_page_save_apply_and_recommendation(admin_client, queue):
    url = f"/config/ola/queues/{queue.pk}/"
    html = admin_client.get(url).content.decode()
    assert "不会改写进行中的计时" in html
    assert "样本不足" in html and 'data-testid="adopt"' not in html
    cal = BusinessCalendar.objects.order_by("id").first()
    post = {
        "calendar": cal.pk,
        "response_L1": "10",
        "response_L2": "20",
        "response_L3": "",
        "response_L4": "60",
        "resolution_L1": "60",
        "resolution_L2": "120",
        "resolution_L3": "240",
        "resolution_L4": "480",
        "urge_threshold": "3",
        "warn_at_percent": "80",
        "escalation_interval_minutes": "30",
        "max_level": "3",
    }
    assert admin_client.post(url, post).status_code == 302
    policy = OlaPolicy.objects.get(queue=queue)
    assert policy.response_minutes == {"L1": 10, "L2": 20, "L4": 60}
    bad = admin_client.post(url, {**post, "warn_at_percent": "120", "response_L1": "abc"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "is-invalid" in html
    r = admin_client.post(url + "apply/", follow=True)
    assert "应用到 0 个" in r.content.decode()
    r = admin_client.post(url + "adopt/", {"days": "90"}, follow=True)
    assert "样本不足" in r.content.decode()


# --- the ticket page's zone ----------------------------------------------------------------------


def test_zone_shows_breached_timer_with_level_and_next_escalation(client, queue, handlers, entry):
    cal = BusinessCalendar.objects.create(
        name="办公", weekly_windows=OFFICE, follows_china_holidays=False
    )
    OlaPolicy.objects.create(
        queue=queue,
        calendar=cal,
        response_minutes={"L3": 60},
        resolution_minutes={"L3": 240},
        escalation_interval_minutes=30,
        max_level=3,
    )
    with time_machine.travel(T0, tick=False):
        ticket = factories.make_ticket(actor=factories.requester(), entry=entry, priority="L3")
    at = T0 + timedelta(minutes=61)
    login(client, handlers[0])
    with time_machine.travel(at, tick=False):
        engine.sweep(now=at)
        engine.sweep(now=at)
        html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-metric="response" data-state="breached"' in html
    assert 'data-metric="resolution" data-state="running"' in html
    assert "第 1 级" in html
    assert "03-02 11:31 升级到第 2 级" in html
    assert "left: 10740" in html  # 179 business minutes of resolution left
    assert "ticking: true" in html


def test_zone_says_not_configured(client, queue, handlers, entry):
    ticket = factories.make_ticket(actor=factories.requester(), entry=entry)
    login(client, handlers[0])
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="ola-state">OLA 尚未配置' in html
