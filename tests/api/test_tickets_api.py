"""Ticket endpoints: list, create, read, edit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from andon.tickets.models import Channel, EventKind, Status, Ticket
from tests import factories
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"


def detail(ticket_id) -> str:
    return f"/api/v1/tickets/{ticket_id}/"


# --- create ---------------------------------------------------------------------------------


def test_create_dispatches_and_answers_with_the_full_ticket(api, world):
    factories.custom_field(world.entry, "floor")
    response = api(world.requester).post(
        LIST,
        {
            "title": "打印机卡纸",
            "description": "三楼东侧那台",
            "priority": "L2",
            "catalog_entry": world.entry.pk,
            "custom_fields": {"floor": "3F"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["number"] == f"AD-{ticket.pk}"
    assert body["title"] == "打印机卡纸"
    assert body["priority"] == "L2"
    assert body["status"] == Status.PENDING
    assert body["status_display"] == "待处理"
    assert body["channel"] == Channel.API == ticket.channel
    assert body["custom_fields"] == {"floor": "3F"}
    assert body["catalog_entry"] == {
        "id": world.entry.pk,
        "name": "打印机",
        "parent": {"id": world.entry.parent_id, "name": world.entry.parent.name},
    }
    assert body["queue"] == {"id": world.queue.pk, "name": "桌面运维"}
    assert body["assignee"]["id"] == world.handler.pk
    assert body["requester"]["id"] == body["created_by"]["id"] == world.requester.pk
    for key in (
        "urge_count",
        "reopen_count",
        "resolution",
        "created_at",
        "updated_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "attachments",
    ):
        assert key in body
    # The requester may still edit, urge, comment and cancel; not claim or resolve.
    assert body["actions"] == ["edit", "urge", "comment", "cancel"]
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.DISPATCHED]


def test_create_accepts_multipart_with_files(api, world):
    upload = SimpleUploadedFile("error.log", b"E: paper jam\n", content_type="text/plain")
    response = api(world.requester).post(
        LIST,
        {"title": "打印机报错", "catalog_entry": str(world.entry.pk), "attachments": [upload]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert [(a["name"], a["size"]) for a in attachments] == [("error.log", 13)]
    download = api(world.handler).get(attachments[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"E: paper jam\n"
    assert "error.log" in download["Content-Disposition"]


def test_create_defaults_channel_to_api_but_takes_an_explicit_one(api, world):
    client = api(world.requester)
    plain = client.post(LIST, {"title": "a", "catalog_entry": world.entry.pk}, format="json")
    chat = client.post(
        LIST,
        {"title": "b", "catalog_entry": world.entry.pk, "channel": "single_chat"},
        format="json",
    )
    assert plain.json()["channel"] == "api"
    assert chat.json()["channel"] == "single_chat"
    assert plain.json()["priority"] == "L3"


def test_create_on_behalf_needs_the_handling_permission(api, world):
    payload = {"title": "代提", "catalog_entry": world.entry.pk, "requester": world.agent.pk}
    refused = api(world.requester).post(LIST, payload, format="json")
    assert_error(refused, 400, "invalid", field="requester")
    accepted = api(world.handler).post(LIST, payload, format="json")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["requester"]["id"] == world.agent.pk
    assert accepted.json()["created_by"]["id"] == world.handler.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"catalog_entry": "ENTRY"}, "title"),
        ({"title": "   ", "catalog_entry": "ENTRY"}, "title"),
        ({"title": "x" * 201, "catalog_entry": "ENTRY"}, "title"),
        ({"title": ["not", "text"], "catalog_entry": "ENTRY"}, "title"),
        ({"title": "t"}, "catalog_entry"),
        ({"title": "t", "catalog_entry": "abc"}, "catalog_entry"),
        ({"title": "t", "catalog_entry": 10**30}, "catalog_entry"),
        ({"title": "t", "catalog_entry": 999999}, "catalog_entry"),
        ({"title": "t", "catalog_entry": "PARENT"}, "catalog_entry"),
        ({"title": "t", "catalog_entry": "ENTRY", "priority": "L9"}, "priority"),
        ({"title": "t", "catalog_entry": "ENTRY", "priority": 1}, "priority"),
        ({"title": "t", "catalog_entry": "ENTRY", "custom_fields": ["a"]}, "custom_fields"),
        ({"title": "t", "catalog_entry": "ENTRY", "channel": "fax"}, "channel"),
        ({"title": "t", "catalog_entry": "ENTRY", "requester": 999999}, "requester"),
        ({"title": "t", "catalog_entry": "ENTRY", "requester": "me"}, "requester"),
    ],
)
def test_create_rejects_bad_input_with_field_errors(api, world, payload, field):
    ids = {"ENTRY": world.entry.pk, "PARENT": world.entry.parent_id}
    payload = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    response = api(world.requester).post(LIST, payload, format="json")
    assert_error(response, 400, field=field)
    assert not Ticket.objects.exists()


def test_create_rejects_a_json_array_and_malformed_json(api, world):
    client = api(world.requester)
    assert_error(client.post(LIST, [1, 2], format="json"), 400, "invalid")
    broken = client.post(LIST, data="{not json", content_type="application/json")
    assert_error(broken, 400, "parse_error")
    assert_error(
        client.post(LIST, data="<x/>", content_type="application/xml"),
        415,
        "unsupported_media_type",
    )


def test_create_needs_the_create_permission(api, world):
    payload = {"title": "t", "catalog_entry": world.entry.pk}
    assert_error(api(world.observer).post(LIST, payload, format="json"), 403, "permission_denied")
    assert_error(api(world.nobody).post(LIST, {}, format="json"), 403, "permission_denied")
    assert_error(api().post(LIST, payload, format="json"), 401, "not_authenticated")


# --- read -------------------------------------------------------------------------------------


def test_detail_for_the_assignee_lists_handling_actions(api, world):
    ticket = world.ticket(Status.PROCESSING)
    body = api(world.handler).get(detail(ticket.pk)).json()
    assert body["id"] == ticket.pk
    assert body["status"] == "processing"
    assert body["first_response_at"] is not None
    assert body["actions"] == ["edit", "comment", "transfer", "need-info", "resolve"]


def test_detail_actions_follow_the_status(api, world):
    ticket = world.ticket(Status.TO_CONFIRM)
    body = api(world.requester).get(detail(ticket.pk)).json()
    assert body["actions"] == ["comment", "confirm", "reopen"]
    assert body["resolution"] == "已重启服务"
    assert body["resolved_at"] is not None


def test_detail_of_an_invisible_ticket_is_404(api, world):
    ticket = world.ticket()
    assert_error(api(world.agent).get(detail(ticket.pk)), 404, "not_found")
    assert_error(api(world.nobody).get(detail(ticket.pk)), 404, "not_found")
    assert api(world.observer).get(detail(ticket.pk)).status_code == 200


@pytest.mark.parametrize("bad_id", ["999999", "abc", "0", "-1", "1.5", str(10**30), "AD-1"])
def test_detail_of_a_missing_or_malformed_id_is_404_in_the_error_shape(api, world, bad_id):
    assert_error(api(world.admin).get(detail(bad_id)), 404, "not_found")


# --- edit ---------------------------------------------------------------------------------------


def test_patch_edits_and_records_the_change(api, world):
    ticket = world.ticket()
    response = api(world.requester).patch(
        detail(ticket.pk), {"title": "打印机卡纸（已换纸仍卡）", "priority": "L1"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "打印机卡纸（已换纸仍卡）"
    assert response.json()["priority"] == "L1"
    event = ticket.events.get(kind=EventKind.UPDATED)
    # The event also records the versions it went from and to (versioned editing).
    assert event.before == {"title": "打印机无法连接", "priority": "L3", "version": 1}
    assert event.after["version"] == 2 == response.json()["version"]
    assert event.actor == world.requester


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"assignee": 1}, "assignee"),
        ({}, "non_field_errors"),
        ({"title": ""}, "title"),
        ({"priority": "urgent"}, "priority"),
        ({"custom_fields": "x"}, "custom_fields"),
    ],
)
def test_patch_rejects_bad_input(api, world, payload, field):
    ticket = world.ticket()
    response = api(world.handler).patch(detail(ticket.pk), payload, format="json")
    assert_error(response, 400, "invalid", field=field)
    ticket.refresh_from_db()
    assert ticket.title == "打印机无法连接"
    assert ticket.status == Status.PENDING


def test_patch_permissions_and_state(api, world):
    ticket = world.ticket()
    assert_error(api(world.agent).patch(detail(ticket.pk), {"title": "x"}), 404, "not_found")
    assert_error(
        api(world.observer).patch(detail(ticket.pk), {"title": "x"}), 403, "permission_denied"
    )
    closed = world.ticket(Status.CLOSED)
    body = assert_error(
        api(world.admin).patch(detail(closed.pk), {"title": "x"}, format="json"), 409
    )
    assert "已关闭" in body["detail"]


# --- list and filters -----------------------------------------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_shows_only_visible_tickets_newest_first(api, world):
    mine = [world.ticket() for _ in range(2)]
    other_entry = factories.catalog_leaf(world.other_queue)
    foreign = factories.make_ticket(actor=world.agent, entry=other_entry)
    assert _ids(api(world.requester).get(LIST)) == [mine[1].pk, mine[0].pk]
    assert _ids(api(world.agent).get(LIST)) == [foreign.pk]
    assert _ids(api(world.handler).get(LIST)) == [mine[1].pk, mine[0].pk]
    assert _ids(api(world.observer).get(LIST)) == [foreign.pk, mine[1].pk, mine[0].pk]
    assert _ids(api(world.nobody).get(LIST)) == []


def test_list_rows_carry_the_ticket_fields(api, world):
    ticket = world.ticket()
    row = api(world.requester).get(LIST).json()["results"][0]
    assert row["number"] == ticket.number
    assert row["status_display"] == "待处理"
    assert row["catalog_entry"]["parent"]["id"] == world.entry.parent_id
    assert row["assignee"]["username"] == "handler"


def test_list_paginates_by_cursor(api, world):
    tickets = [world.ticket() for _ in range(5)]
    client = api(world.admin)
    first = client.get(LIST, {"page_size": 2}).json()
    assert [r["id"] for r in first["results"]] == [tickets[4].pk, tickets[3].pk]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [tickets[2].pk, tickets[1].pk]
    third = client.get(second["next"]).json()
    assert [r["id"] for r in third["results"]] == [tickets[0].pk]
    assert third["next"] is None


def test_list_rejects_a_forged_cursor(api, world):
    assert_error(api(world.admin).get(LIST, {"cursor": "garbage"}), 400, "invalid", field="cursor")


@pytest.fixture
def spread(world):
    """Tickets in several states, queues, entries and hands."""
    other_entry = factories.catalog_leaf(world.other_queue, name="VPN")
    sibling = factories.CatalogEntryFactory(parent=world.entry.parent, queue=world.queue)
    factories.add_members(world.other_queue, world.teammate)
    pending = world.ticket(priority="L1")
    processing = world.ticket(Status.PROCESSING, title="邮箱满了")
    done = world.ticket(Status.DONE)
    pool = factories.make_ticket(actor=world.agent, entry=other_entry, title="VPN 断线")
    sibling_ticket = factories.make_ticket(actor=world.requester, entry=sibling)
    return {
        "pending": pending,
        "processing": processing,
        "done": done,
        "pool": pool,
        "sibling": sibling_ticket,
        "other_entry": other_entry,
    }


def test_list_filters(api, world, spread):
    factories.fan_out_pending()  # `q` reads the search index the worker writes after commit
    client = api(world.admin)
    s = spread

    def ids(**params):
        return sorted(_ids(client.get(LIST, params)))

    assert ids(status="pending") == sorted([s["pending"].pk, s["pool"].pk, s["sibling"].pk])
    assert ids(status="processing,done") == sorted([s["processing"].pk, s["done"].pk])
    assert sorted(_ids(client.get(LIST + "?status=processing&status=done"))) == ids(
        status="processing,done"
    )
    assert ids(priority="L1") == [s["pending"].pk]
    assert ids(queue=world.other_queue.pk) == [s["pool"].pk]
    assert ids(assignee=world.handler.pk) == sorted(
        [s["pending"].pk, s["processing"].pk, s["done"].pk, s["sibling"].pk]
    )
    assert ids(assignee="none") == [s["pool"].pk]
    assert ids(requester=world.agent.pk) == [s["pool"].pk]
    assert ids(catalog_entry=world.entry.pk) == sorted(
        [s["pending"].pk, s["processing"].pk, s["done"].pk]
    )
    # A level-1 id matches every ticket filed under its children.
    assert ids(catalog_entry=world.entry.parent_id) == sorted(
        [s["pending"].pk, s["processing"].pk, s["done"].pk, s["sibling"].pk]
    )
    assert ids(q="邮箱") == [s["processing"].pk]
    assert ids(q=s["pool"].number) == [s["pool"].pk]
    assert ids(q="vpn") == [s["pool"].pk]
    assert ids(status="pending", priority="L1", q="打印机") == [s["pending"].pk]


def test_list_me_filters(api, world, spread):
    s = spread
    mine = sorted(_ids(api(world.handler).get(LIST, {"assignee": "me"})))
    assert mine == sorted([s["pending"].pk, s["processing"].pk, s["done"].pk, s["sibling"].pk])
    requested = sorted(_ids(api(world.agent).get(LIST, {"requester": "me"})))
    assert requested == [s["pool"].pk]
    assert _ids(api(world.admin).get(LIST, {"assignee": "me"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "open"}, "status"),
        ({"status": "pending,bogus"}, "status"),
        ({"priority": "L5"}, "priority"),
        ({"channel": "fax"}, "channel"),
        ({"queue": "abc"}, "queue"),
        ({"queue": str(10**30)}, "queue"),
        ({"queue": "-3"}, "queue"),
        ({"assignee": "someone"}, "assignee"),
        ({"assignee": str(10**25)}, "assignee"),
        ({"requester": "none"}, "requester"),
        ({"catalog_entry": "1.5"}, "catalog_entry"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_list_rejects_invalid_filter_values(api, world, params, field):
    assert_error(api(world.admin).get(LIST, params), 400, "invalid", field=field)
