"""报表 in a real browser: the charts draw from the report data, a filter change swaps the report
body through htmx (no reload) and the charts and tables follow, and an export downloads."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.test_ticket_flow import assert_fits, assert_not_reloaded, log_in, mark_page
from tests.reports.conftest import RANGE, build_desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db, settings):
    return build_desk(settings)


def series_created(page):
    """The numbers the trend chart is drawing right now (read from the live ECharts instance)."""
    return page.evaluate(
        """() => {
          const node = document.querySelector('[data-chart="series"]');
          const chart = window.echarts.getInstanceByDom(node);
          return chart ? chart.getOption().series[0].data : null;
        }"""
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_reports_filter_and_export(new_page, desk, width):
    page = new_page(width)
    log_in(page, "admin")
    page.goto(f"/reports/?from={RANGE['from']}&to={RANGE['to']}")
    expect(page.locator('[data-kpi="created"]')).to_have_text("6")
    expect(page.locator('[data-chart="series"]')).to_have_attribute("data-drawn", "true")
    assert series_created(page) == [2, 1, 1, 1, 0, 1, 0]
    queue_table = page.locator('[data-testid="table-queue"] tbody')
    expect(queue_table).to_contain_text("无人队列")

    mark_page(page)
    page.select_option("#rf-queue", label="网络组")
    expect(page.locator('[data-kpi="created"]')).to_have_text("2")
    expect(queue_table).not_to_contain_text("桌面运维")
    page.wait_for_function(
        """() => {
          const node = document.querySelector('[data-chart="series"]');
          const c = window.echarts.getInstanceByDom(node);
          return c && JSON.stringify(c.getOption().series[0].data) === '[0,0,1,1,0,0,0]';
        }"""
    )
    assert_not_reloaded(page)
    assert f"queue={desk.qb.pk}" in page.url  # the filtered view is bookmarkable

    with page.expect_download() as info:
        page.click('[data-testid="export-tickets-csv"]')
    download = info.value
    assert download.suggested_filename == "andon-tickets-20250303-20250309.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert [r[0] for r in rows[1:]] == [f"AD-{desk.tickets[n].pk}" for n in (4, 5)]
    assert page.js_errors == [] and page.external_requests == []
    assert_fits(page, width)
