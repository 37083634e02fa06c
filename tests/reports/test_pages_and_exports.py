"""The 报表 page, its htmx body, the exports and the personal summary on 我的."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from andon.ola.models import OlaTimer
from andon.reports import rollup
from andon.tickets.models import Ticket
from tests.reports.conftest import RANGE, at, timer
from tests.web.helpers import login

PAGE = "/reports/"
EXPORT = "/reports/export/"


def test_page_shows_numbers_tables_and_chart_data(client, desk):
    login(client, desk.admin)
    response = client.get(PAGE, RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kpi="created">6<' in html
    as_of = timezone.localtime(rollup.refreshed_at()).strftime("%Y-%m-%d %H:%M")
    assert f"统计截至 {as_of}" in html
    assert 'data-kpi="response_met_rate">60%<' in html
    assert 'data-chart="series"' in html and "vendor/echarts/echarts.min.js" in html
    data = json.loads(
        html.split('id="report-data" type="application/json">')[1].split("</script>")[0]
    )
    assert [d["created"] for d in data["series"]] == [2, 1, 1, 1, 0, 1, 0]
    assert data["durations"]["p90_resolution_seconds"] == pytest.approx(37760, rel=0.02)
    assert "桌面运维" in html and "IT 服务 / 打印机" in html
    assert 'name="from"' in html and 'value="2025-03-03"' in html


def test_page_says_in_english_when_its_figures_were_summed(client, desk):
    login(client, desk.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(PAGE, RANGE).content.decode()
    assert "Figures as of " in html and "统计截至" not in html


def test_htmx_swap_returns_only_the_body(client, desk):
    login(client, desk.admin)
    response = client.get(
        PAGE, {**RANGE, "queue": desk.qb.pk}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-body"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="report-filters"' not in html
    assert 'data-kpi="created">2<' in html


def test_bad_filters_show_errors_with_400(client, desk):
    login(client, desk.admin)
    response = client.get(PAGE, {"from": "2025-03-09", "to": "2025-03-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_page_permissions(client, desk):
    assert client.get(PAGE).status_code == 302  # to the log-in page
    login(client, desk.nobody)
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403
    login(client, desk.ha)
    html = client.get(PAGE, RANGE).content.decode()
    assert 'data-kpi="created">3<' in html
    assert "网络组" not in html  # not even in the queue filter


def test_page_query_count_is_constant(client, desk, django_assert_max_num_queries):
    login(client, desk.admin)
    with django_assert_max_num_queries(40) as few:
        assert client.get(PAGE, RANGE).status_code == 200
    for i in range(20):
        Ticket.objects.create(
            title=f"x{i}",
            catalog_entry=desk.e2,
            queue=desk.qa,
            assignee=desk.hb,
            requester=desk.agent,
            created_by=desk.agent,
            created_at=at(3, 5, 10),
            updated_at=at(3, 5, 10),
        )
        timer(
            Ticket.objects.latest("id"),
            "response",
            started=at(3, 5, 10),
            elapsed=60,
            met=at(3, 5, 10, 1),
        )
    with django_assert_max_num_queries(40) as many:
        assert client.get(PAGE, RANGE).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_view_csv_has_every_table(client, desk):
    login(client, desk.admin)
    response = client.get(EXPORT, {**RANGE, "kind": "view", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "andon-report-20250303-20250309.csv" in response["Content-Disposition"]
    rows = _csv(response)
    as_dict = {r[0]: r[1] for r in rows if len(r) == 2}
    assert as_dict["新建"] == "6" and as_dict["期末积压"] == "4"
    assert as_dict["响应达成率（%）"] == "60.0"
    assert float(as_dict["解决 P90（秒）"]) == pytest.approx(37760, rel=0.02)
    titles = [r[0] for r in rows if len(r) == 1]
    assert titles == [
        "概览",
        "趋势",
        "按队列",
        "按优先级",
        "按处理人",
        "热门服务目录",
        "即将超时",
        "已超时",
    ]
    assert ["桌面运维", "3", "3", "1", "3", "66.67", "66.67", "100.0", "1800.0", "21600.0"] in rows


def test_export_view_xlsx(client, desk):
    login(client, desk.lead)
    response = client.get(EXPORT, {**RANGE, "kind": "view", "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[:3] == ["概览", "趋势", "按队列"]
    overview = {row[0]: row[1] for row in workbook["概览"].iter_rows(values_only=True)}
    assert overview["新建"] == 2 and overview["已解决"] == 1
    queues = list(workbook["按队列"].iter_rows(values_only=True))
    assert [r[0] for r in queues[1:]] == ["网络组"]


def test_export_tickets_csv_and_xlsx(client, desk):
    t = desk.tickets[1]
    Ticket.objects.filter(pk=t.pk).update(title='=HYPERLINK("http://x")')
    login(client, desk.admin)
    rows = _csv(
        client.get(EXPORT, {**RANGE, "kind": "tickets", "format": "csv", "queue": desk.qa.pk})
    )
    assert rows[0][:3] == ["编号", "标题", "状态"]
    assert [r[0] for r in rows[1:]] == [f"AD-{desk.tickets[n].pk}" for n in (1, 2, 3)]
    first = rows[1]
    assert first[1] == '\'=HYPERLINK("http://x")'  # never a live formula
    assert first[2] == "已完成" and first[4] == "桌面运维" and first[5] == "IT 服务"
    assert first[11] == "2025-03-03 10:00:00" and first[13] == "2025-03-03 15:00:00"
    response = client.get(EXPORT, {**RANGE, "kind": "tickets", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + 6
    assert values[1][1] == '\'=HYPERLINK("http://x")'
    assert values[1][11] == at(3, 3, 10).replace(tzinfo=None)


def test_export_tickets_streams_in_chunks(client, desk, monkeypatch):
    from andon.reports import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    login(client, desk.admin)
    response = client.get(EXPORT, {**RANGE, "kind": "tickets", "format": "csv"})
    assert response.streaming
    assert len(_csv(response)) == 7


@pytest.mark.parametrize(
    "params", [{"kind": "nope"}, {"format": "pdf"}, {"from": "bad"}, {"queue": "0"}]
)
def test_bad_export_is_400(client, desk, params):
    login(client, desk.admin)
    assert client.get(EXPORT, {"kind": "view", "format": "csv", **params}).status_code == 400


def test_my_summary_on_my_tickets(client, desk):
    now = timezone.now()
    ticket = Ticket.objects.create(
        title="mine",
        catalog_entry=desk.e1,
        queue=desk.qa,
        assignee=desk.ha,
        status="processing",
        requester=desk.agent,
        created_by=desk.agent,
        created_at=now,
        updated_at=now,
    )
    timer(
        ticket, "response", started=now, state="running", active=True, due=now + timedelta(hours=1)
    )
    timer(
        ticket,
        "resolution",
        started=now,
        state="running",
        active=True,
        due=now + timedelta(hours=3),
    )
    breached = Ticket.objects.create(
        title="late",
        catalog_entry=desk.e1,
        queue=desk.qa,
        assignee=desk.ha,
        status="pending",
        requester=desk.agent,
        created_by=desk.agent,
        created_at=now,
        updated_at=now,
    )
    timer(breached, "response", started=now, state="breached", active=True, breached=now)
    Ticket.objects.create(
        title="done",
        catalog_entry=desk.e1,
        queue=desk.qa,
        assignee=desk.ha,
        status="done",
        requester=desk.agent,
        created_by=desk.agent,
        created_at=now,
        updated_at=now,
        resolved_at=now,
    )
    assert OlaTimer.objects.filter(ticket__assignee=desk.ha).count() >= 3
    login(client, desk.ha)
    html = client.get("/tickets/").content.decode()
    assert 'data-testid="my-summary"' in html
    # Open: mine, late (T9 is processing too: created after the range, still open).
    assert 'data-my="open">3<' in html
    assert 'data-my="due_soon">1<' in html
    assert 'data-my="breached">1<' in html
    assert 'data-my="resolved_week">1<' in html
    login(client, desk.agent)
    assert 'data-testid="my-summary"' not in client.get("/tickets/").content.decode()
