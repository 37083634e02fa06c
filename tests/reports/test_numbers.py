"""Every number of the report against the hand-computed desk in conftest.py.

Range 2025-03-03 .. 2025-03-09 (local). In scope for an admin: tickets T1–T8 and T10 (T9 is
created after the range). Worked out by hand:

created   T1 T2 T3 T4 T5 T8                          = 6
resolved  T1 (3-03) T6 (3-04) T2 (3-05) T4 (3-07)    = 4, reopened among them T2 T6 = 2
urges     on created: 0+2+1+0+3+1                    = 7
backlog   before 3-03: T6 T7 T10 = 3; end: T3 T5 T8 T10 = 4
response timers started in range: met T1(600) T3(1200) T4(300), breached T2(3600) T5(—),
          T8 running, T3@qb stopped (left out) -> 3/5 = 0.6; mean 1425, p50 900, p90 2880
resolution timers: met T1(14400) T2(28800), breached T4(40000) -> 2/3; mean 27733.3,
          p50 28800, p90 37760
"""

from datetime import datetime

import pytest

from andon.reports import percentiles, rollup
from andon.reports.histogram import RELATIVE_ERROR
from tests.api.conftest import client_for
from tests.reports.conftest import RANGE

SUMMARY = "/api/v1/reports/summary/"


def get(user, path, **params):
    response = client_for(user).get(path, {**RANGE, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_summary_for_everything(desk):
    body = get(desk.admin, SUMMARY)
    # When the roll-up was built (by the fixture, just now).
    assert datetime.fromisoformat(body.pop("as_of")) == rollup.refreshed_at()
    # Unfiltered percentiles come from the duration histogram: within 2 % of the exact ones.
    exact = {
        "p50_response_seconds": 900.0,
        "p90_response_seconds": 2880.0,
        "p50_resolution_seconds": 28800.0,
        "p90_resolution_seconds": 37760.0,
    }
    assert {key: body.pop(key) for key in exact} == {
        key: pytest.approx(value, rel=RELATIVE_ERROR) for key, value in exact.items()
    }
    assert body == {
        "from": "2025-03-03",
        "to": "2025-03-09",
        "created": 6,
        "resolved": 4,
        "backlog": 4,
        "urges": 7,
        "reopened": 2,
        "reopen_rate": 0.5,
        "response_met": 3,
        "response_breached": 2,
        "response_met_rate": 0.6,
        "resolution_met": 2,
        "resolution_breached": 1,
        "resolution_met_rate": 0.6667,
        "mean_response_seconds": 1425.0,
        "mean_resolution_seconds": 27733.3,
    }


def test_series_walks_the_backlog_day_by_day(desk):
    body = get(desk.admin, "/api/v1/reports/series/")
    assert [
        (d["date"], d["created"], d["resolved"], d["backlog"], d["urges"], d["reopened"])
        for d in body
    ] == [
        ("2025-03-03", 2, 1, 3, 2, 0),  # T1 T2 in; T1 resolved, T7 cancelled
        ("2025-03-04", 1, 1, 3, 1, 1),  # T3 in; T6 resolved (reopened before)
        ("2025-03-05", 1, 1, 3, 0, 1),  # T4 in; T2 resolved
        ("2025-03-06", 1, 0, 4, 3, 0),  # T5 in
        ("2025-03-07", 0, 1, 3, 0, 0),  # T4 resolved
        ("2025-03-08", 1, 0, 4, 1, 0),  # T8 in
        ("2025-03-09", 0, 0, 4, 0, 0),
    ]


def _pick(rows, *keys):
    return {r["name"]: tuple(r[k] for k in keys) for r in rows}


COLUMNS = (
    "created",
    "resolved",
    "reopen_rate",
    "urges",
    "backlog",
    "response_met",
    "response_breached",
    "response_met_rate",
    "resolution_met",
    "resolution_breached",
    "resolution_met_rate",
    "mean_response_seconds",
    "mean_resolution_seconds",
)


def test_by_queue(desk):
    rows = get(desk.admin, "/api/v1/reports/by-queue/")
    assert _pick(rows, *COLUMNS) == {
        "桌面运维": (3, 3, 0.6667, 3, 1, 2, 1, 0.6667, 2, 0, 1.0, 1800.0, 21600.0),
        "网络组": (2, 1, 0.0, 3, 2, 1, 1, 0.5, 0, 1, 0.0, 300.0, 40000.0),
        "无人队列": (1, 0, None, 1, 1, 0, 0, None, 0, 0, None, None, None),
    }
    assert {r["name"]: r["key"] for r in rows}["网络组"] == str(desk.qb.pk)


def test_by_priority(desk):
    rows = get(desk.admin, "/api/v1/reports/by-priority/")
    assert [r["name"] for r in rows] == ["L1", "L2", "L3", "L4"]
    assert _pick(rows, *COLUMNS) == {
        "L1": (2, 1, 0.0, 1, 1, 1, 0, 1.0, 1, 0, 1.0, 600.0, 14400.0),
        "L2": (2, 2, 0.5, 2, 0, 1, 1, 0.5, 1, 1, 0.5, 1950.0, 34400.0),
        "L3": (2, 0, None, 4, 3, 1, 1, 0.5, 0, 0, None, 1200.0, None),
        "L4": (0, 1, 1.0, 0, 0, 0, 0, None, 0, 0, None, None, None),
    }


def test_by_handler(desk):
    rows = get(desk.admin, "/api/v1/reports/by-handler/")
    assert _pick(rows, *COLUMNS) == {
        "甲": (2, 2, 0.5, 2, 0, 1, 1, 0.5, 2, 0, 1.0, 2100.0, 21600.0),
        "乙": (1, 1, 1.0, 1, 1, 1, 0, 1.0, 0, 0, None, 1200.0, None),
        "丙": (1, 1, 0.0, 0, 1, 1, 0, 1.0, 0, 1, 0.0, 300.0, 40000.0),
        "（未分配）": (2, 0, None, 4, 2, 0, 1, 0.0, 0, 0, None, None, None),
    }
    assert rows[-1]["key"] is None  # the unassigned bucket comes last


def test_top_catalog(desk):
    rows = get(desk.admin, "/api/v1/reports/top-catalog/")
    assert [(r["name"], r["created"], r["resolved"], r["urges"], r["share"]) for r in rows] == [
        ("IT 服务 / 打印机", 2, 2, 2, 0.3333),
        ("网络 / VPN", 2, 1, 3, 0.3333),
        ("IT 服务 / 电脑", 1, 0, 1, 0.1667),
        ("网络 / 其他", 1, 0, 1, 0.1667),
    ]
    assert len(get(desk.admin, "/api/v1/reports/top-catalog/", limit=2)) == 2


def test_at_risk_is_live_and_ignores_the_range(desk):
    body = get(desk.admin, "/api/v1/reports/at-risk/")
    assert (body["hours"], body["due_soon"], body["breached"]) == (4, 2, 2)
    assert [r["number"].split("-")[-1] for r in body["due_soon_list"]] == [
        str(desk.tickets[8].pk),  # due in 1 h
        str(desk.tickets[3].pk),  # due in 2 h
    ]
    assert [(r["ticket"], r["metric"]) for r in body["breached_list"]] == [
        (desk.tickets[10].pk, "resolution"),
        (desk.tickets[5].pk, "response"),  # the urge timer is not an OLA target
    ]
    wide = get(desk.admin, "/api/v1/reports/at-risk/", hours=48)
    assert (wide["hours"], wide["due_soon"]) == (48, 3), wide
    assert get(desk.admin, "/api/v1/reports/at-risk/", queue=desk.qa.pk)["breached"] == 0


@pytest.mark.parametrize(
    "params, created, resolved",
    [
        ({"queue": "qa"}, 3, 3),
        ({"catalog_entry": "p1"}, 3, 3),  # a level-1 entry covers its leaves
        ({"catalog_entry": "e3"}, 2, 1),
        ({"priority": "L2"}, 2, 2),
        ({"handler": "ha"}, 2, 2),
        ({"channel": "web"}, 3, 2),  # T1 T3 T5 created; T1 T6 resolved
        ({"queue": "qa", "priority": "L1"}, 1, 1),
    ],
)
def test_filters(desk, params, created, resolved):
    values = {
        key: (getattr(desk, value).pk if hasattr(desk, str(value)) else value)
        for key, value in params.items()
    }
    body = get(desk.admin, SUMMARY, **values)
    assert (body["created"], body["resolved"]) == (created, resolved)


def test_filtered_timers_follow_the_ticket(desk):
    body = get(desk.admin, SUMMARY, handler=desk.ha.pk)
    # T1, T2: response met 600 / breached 3600; resolution met 14400, 28800.
    assert (body["response_met"], body["response_breached"]) == (1, 1)
    assert body["mean_response_seconds"] == 2100.0
    assert body["p50_resolution_seconds"] == 21600.0


def test_a_priority_filter_reads_exact_percentiles_from_the_timers(desk):
    # L2 in range: T2 (response 3600, resolution 28800) and T4 (300, 40000).
    body = get(desk.admin, SUMMARY, priority="L2")
    assert body["p50_response_seconds"] == 1950.0
    assert body["p90_resolution_seconds"] == 28800 + (40000 - 28800) * 0.9


def test_a_queue_filter_keeps_to_the_histogram_of_that_queue(desk):
    # qa's response timers in range: T1 600, T2 3600, T3 1200 -> p50 1200.
    body = get(desk.admin, SUMMARY, queue=desk.qa.pk)
    assert body["p50_response_seconds"] == pytest.approx(1200, rel=RELATIVE_ERROR)
    assert body["p50_response_seconds"] != 1200.0  # the histogram's value, not the exact one


def test_empty_range_gives_zeros_and_nulls(desk):
    body = get(desk.admin, SUMMARY, **{"from": "2024-01-01", "to": "2024-01-31"})
    assert (body["created"], body["resolved"], body["backlog"]) == (0, 0, 0)
    assert body["response_met_rate"] is None
    assert body["p90_resolution_seconds"] is None


def test_percentile_function_matches_percentile_cont(desk):
    from andon.ola.models import OlaTimer

    qs = OlaTimer.objects.filter(metric="response", elapsed_seconds__isnull=False)
    ordered = qs.order_by("elapsed_seconds").values_list("elapsed_seconds", flat=True)
    # 300 600 999 1200 3600 (T6's timer included here: no range filter)
    assert percentiles.ordered_offset_percentile(ordered, 5, 0.5) == 999.0
    assert percentiles.ordered_offset_percentile(ordered, 5, 0.9) == 1200 + (3600 - 1200) * 0.6
    assert percentiles.ordered_offset_percentile(ordered, 0, 0.5) is None
    stats = percentiles.duration_percentiles(qs)
    assert stats["p50_response_seconds"] == 999.0
    assert stats["p90_response_seconds"] == 2640.0
