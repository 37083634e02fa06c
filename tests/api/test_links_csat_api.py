"""The API of links, merging, the follow-up countdown, ratings and the CSAT report: bad input is
a 400/409 in the one error shape with nothing written; lists cost a fixed number of queries;
the report is scoped like the other reports."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from andon.csat import services as csat_services
from andon.csat.models import Rating
from andon.tickets.link_models import TicketLink
from andon.tickets.models import Comment, Status
from andon.tickets.services import links
from tests import factories
from tests.api.conftest import assert_error, move_to

pytestmark = pytest.mark.django_db


def _queries(client, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(context.captured_queries), response.json()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "ticket"),
        ({"ticket": "AD-1", "relation": "cousin"}, 400, "relation"),
        ({"ticket": "not-a-number", "relation": "related"}, 400, "ticket"),
        ({"ticket": "99999999", "relation": "related"}, 400, "ticket"),
        ({"ticket": "{self}", "relation": "related"}, 400, "ticket"),
    ],
)
def test_bad_link_bodies(api, world, body, status, field):
    ticket = world.ticket()
    body = {k: (str(ticket.pk) if v == "{self}" else v) for k, v in body.items()}
    response = api(world.handler).post(f"/api/v1/tickets/{ticket.pk}/links/", body, format="json")
    assert_error(response, status, field=field)
    assert not TicketLink.objects.exists()


def test_a_cycle_is_a_409(api, world):
    a, b = world.ticket(), world.ticket()
    client = api(world.handler)
    ok = client.post(
        f"/api/v1/tickets/{a.pk}/links/", {"ticket": b.number, "relation": "parent"}, format="json"
    )
    assert ok.status_code == 201
    assert ok.json()["links"][0]["relation"] == "parent"
    response = client.post(
        f"/api/v1/tickets/{b.pk}/links/", {"ticket": a.number, "relation": "parent"}, format="json"
    )
    assert_error(response, 409, code="already_linked")


def test_links_list_is_constant_and_shows_children_states(
    api, world, django_assert_max_num_queries
):
    parent = world.ticket()
    client = api(world.handler)

    def add_children(n):
        for _ in range(n):
            child = world.ticket()
            links.link_tickets(
                ticket_id=parent.pk, actor=world.handler, other=child.pk, relation="child"
            )

    add_children(2)
    small, _ = _queries(client, f"/api/v1/tickets/{parent.pk}/links/")
    add_children(8)
    large, body = _queries(client, f"/api/v1/tickets/{parent.pk}/links/")
    assert small == large
    assert body["children"] == {"total": 10, "finished": 0, "by_status": {"pending": 10}}


def test_merge_over_the_api_and_its_bad_input(api, world):
    duplicate, original = world.ticket(), world.ticket()
    client = api(world.handler)
    from andon.tickets import services

    services.add_comment(ticket_id=duplicate.pk, actor=world.requester, body="也坏了")
    assert_error(client.post(f"/api/v1/tickets/{duplicate.pk}/merge/", {}, format="json"), 400)
    response = client.post(
        f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": original.number}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["links"][0]["relation"] == "duplicate_of"
    assert Comment.objects.get().ticket_id == original.pk
    again = client.post(
        f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": original.number}, format="json"
    )
    assert_error(again, 409)


def test_rating_over_the_api(api, world):
    ticket = world.ticket(Status.TO_CONFIRM)
    client = api(world.requester)
    url = f"/api/v1/tickets/{ticket.pk}/rating/"
    assert client.get(url).json() == {"rating": None, "may_rate": True, "changeable_until": None}
    for bad in (
        {},
        {"score": 0},
        {"score": 6},
        {"score": "x"},
        {"score": 3, "comment": "字" * 1001},
    ):
        assert_error(client.put(url, bad, format="json"), 400)
    ticket.refresh_from_db()
    assert ticket.status == Status.TO_CONFIRM and not Rating.objects.exists()
    response = client.put(url, {"score": 4, "comment": "还行"}, format="json")
    assert response.status_code == 200
    assert response.json()["rating"]["score"] == 4
    assert response.json()["rating"]["channel"] == "api"
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE


def test_follow_up_countdown_over_the_api(api, world):
    ticket = world.ticket(Status.TO_CONFIRM)
    body = api(world.handler).get(f"/api/v1/tickets/{ticket.pk}/follow-up/").json()
    assert body["countdown"]["stage"] == "confirm"
    assert body["countdown"]["seconds_left"] > 0


def test_queue_periods_bad_input(api, world):
    client = api(world.admin)
    url = f"/api/v1/queues/{world.queue.pk}/follow-up/"
    for bad in (
        {"close_after_days": -1},
        {"confirm_after_working_days": 99},
        {"close_after_days": "x"},
    ):
        assert_error(client.put(url, bad, format="json"), 400)
    assert client.put(url, {"confirm_after_working_days": 5}, format="json").json() == {
        "confirm_after_working_days": 5,
        "close_after_days": 7,
    }


def _rated(world, *, queue=None, score=5, comment=""):
    if queue is None:
        ticket = world.ticket(Status.DONE)
    else:
        entry = factories.catalog_leaf(queue)
        member = factories.handler()
        factories.add_members(queue, member)
        ticket = factories.make_ticket(actor=world.requester, entry=entry)
        move_to(ticket, Status.DONE, handler=ticket.assignee, requester=world.requester)
    csat_services.rate_ticket(
        ticket_id=ticket.pk, actor=world.requester, score=score, comment=comment, channel="web"
    )
    return ticket


def test_csat_report_is_scoped_and_constant(api, world):
    _rated(world, score=5, comment="处理很快")
    _rated(world, score=2, comment="<script>x</script>")
    _rated(world, queue=world.other_queue, score=1, comment="别的队列")
    admin_count, everything = _queries(api(world.admin), "/api/v1/reports/csat/")
    assert everything["summary"]["count"] == 3
    assert everything["summary"]["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1}
    assert {r["name"]: r["count"] for r in everything["by_queue"]} == {"桌面运维": 2, "网络组": 1}

    handler_count, mine = _queries(api(world.handler), "/api/v1/reports/csat/")
    assert mine["summary"] == {
        "count": 2,
        "average": 3.5,
        "satisfied": 1,
        "satisfied_rate": 0.5,
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1},
    }
    assert [r["name"] for r in mine["by_handler"]] == [world.handler.name]
    assert {c["comment"] for c in mine["comments"]} == {"处理很快", "<script>x</script>"}

    for n in range(5):
        _rated(world, score=4, comment=f"第 {n} 条")
    more, _ = _queries(api(world.admin), "/api/v1/reports/csat/")
    assert more == admin_count


def test_csat_report_filters_are_validated(api, world):
    response = api(world.admin).get("/api/v1/reports/csat/", {"from": "2026-13-01"})
    assert_error(response, 400)


def test_reports_page_shows_csat_escaped(client, world):
    _rated(world, score=2, comment="<script>alert(1)</script>")
    client.force_login(world.admin)
    page = client.get("/reports/").content.decode()
    assert 'data-testid="report-csat"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
