"""Who sees which queues, bad input as 400s, and a constant number of queries."""

import pytest

from andon.reports.scope import report_scope
from andon.tickets.models import Ticket
from tests.api.conftest import assert_error, client_for
from tests.reports.conftest import RANGE, at

SUMMARY = "/api/v1/reports/summary/"
ENDPOINTS = ["summary", "series", "by-queue", "by-priority", "by-handler", "top-catalog", "at-risk"]


def summary_of(user, **params):
    response = client_for(user).get(SUMMARY, {**RANGE, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_scope_per_role(desk):
    assert report_scope(desk.admin) is None
    assert report_scope(desk.observer) is None
    assert report_scope(desk.ha) == {desk.qa.pk}
    assert report_scope(desk.lead) == {desk.qb.pk}  # via hc's sub-department
    assert report_scope(desk.loner) == set()


@pytest.mark.parametrize(
    "who, created, resolved, backlog, urges",
    [
        ("admin", 6, 4, 4, 7),
        ("observer", 6, 4, 4, 7),
        ("ha", 3, 3, 1, 3),  # 桌面运维 only: T1 T2 T3; resolved T1 T2 T6; open T3
        ("hb", 3, 3, 1, 3),
        ("lead", 2, 1, 2, 3),  # 网络组 only: T4 T5; resolved T4; open T5 T10
        ("hc", 2, 1, 2, 3),
        ("loner", 0, 0, 0, 0),
        ("agent", 0, 0, 0, 0),
    ],
)
def test_summary_is_scoped(desk, who, created, resolved, backlog, urges):
    body = summary_of(getattr(desk, who))
    assert (body["created"], body["resolved"], body["backlog"], body["urges"]) == (
        created,
        resolved,
        backlog,
        urges,
    )


def test_lead_sees_their_departments_queue_breakdown_only(desk):
    rows = client_for(desk.lead).get("/api/v1/reports/by-queue/", RANGE).json()
    assert [r["name"] for r in rows] == ["网络组"]
    risk = client_for(desk.lead).get("/api/v1/reports/at-risk/").json()
    assert {r["ticket"] for r in risk["breached_list"]} == {
        desk.tickets[5].pk,
        desk.tickets[10].pk,
    }
    assert risk["due_soon"] == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_role_is_forbidden_and_anonymous_unauthorised(desk, endpoint):
    assert_error(client_for(desk.nobody).get(f"/api/v1/reports/{endpoint}/"), 403)
    assert_error(client_for().get(f"/api/v1/reports/{endpoint}/"), 401)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2025-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2025-03-09", "to": "2025-03-01"}, "to"),
        ({"from": "2023-01-01", "to": "2025-01-01"}, "to"),
        ({"queue": "abc"}, "queue"),
        ({"queue": "99999999"}, "queue"),
        ({"queue": "-1"}, "queue"),
        ({"queue": "99999999999999999999999"}, "queue"),
        ({"catalog_entry": "99999999"}, "catalog_entry"),
        ({"priority": "L9"}, "priority"),
        ({"handler": "x"}, "handler"),
        ({"handler": "99999999"}, "handler"),
        ({"channel": "fax"}, "channel"),
        ({"hours": "0"}, "hours"),
        ({"hours": "1000"}, "hours"),
    ],
)
def test_bad_filters_are_400(desk, params, field):
    response = client_for(desk.admin).get(SUMMARY, params)
    assert_error(response, 400, "invalid", field)


def test_queue_outside_scope_is_400(desk):
    assert_error(client_for(desk.ha).get(SUMMARY, {"queue": desk.qb.pk}), 400, "invalid", "queue")
    assert_error(
        client_for(desk.ha).get(SUMMARY, {"handler": desk.hc.pk}), 400, "invalid", "handler"
    )
    assert client_for(desk.ha).get(SUMMARY, {"queue": desk.qa.pk}).status_code == 200


def test_top_catalog_limit_is_validated(desk):
    response = client_for(desk.admin).get("/api/v1/reports/top-catalog/", {"limit": "0"})
    assert_error(response, 400, "invalid", "limit")


def test_default_range_is_the_last_30_days(desk):
    body = client_for(desk.admin).get(SUMMARY).json()
    from datetime import date

    start, end = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    assert (end - start).days == 29


def _more_tickets(desk, n):
    for i in range(n):
        Ticket.objects.create(
            title=f"more {i}",
            catalog_entry=desk.e1 if i % 2 else desk.e3,
            queue=desk.qa if i % 2 else desk.qb,
            assignee=desk.ha if i % 3 else desk.hc,
            requester=desk.agent,
            created_by=desk.agent,
            priority=["L1", "L2", "L3", "L4"][i % 4],
            created_at=at(3, 3 + i % 7, 10),
            updated_at=at(3, 3 + i % 7, 10),
            resolved_at=at(3, 4 + i % 5, 10) if i % 2 else None,
            status="done" if i % 2 else "processing",
        )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_query_count_is_constant(desk, endpoint, django_assert_max_num_queries):
    client = client_for(desk.lead)
    path = f"/api/v1/reports/{endpoint}/"
    with django_assert_max_num_queries(20) as few:
        assert client.get(path, RANGE).status_code == 200
    _more_tickets(desk, 30)
    with django_assert_max_num_queries(20) as many:
        assert client.get(path, RANGE).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
