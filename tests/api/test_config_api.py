"""Queues and the service catalog: reading, and creating with every rule checked."""

import pytest

from andon.catalog.models import CatalogEntry
from andon.queues.models import Queue
from tests import factories
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

QUEUES = "/api/v1/queues/"
CATALOG = "/api/v1/catalog/"


# --- queues -------------------------------------------------------------------------------------


def test_queue_list_has_members_and_counts(api, world):
    world.other_queue.is_enabled = False
    world.other_queue.save()
    rows = api(world.agent).get(QUEUES).json()
    assert [r["name"] for r in rows] == ["桌面运维", "网络组"]  # enabled first
    desk = rows[0]
    assert desk["member_count"] == 2
    assert [m["username"] for m in desk["members"]] == ["handler", "teammate"]
    assert desk["members"][1]["is_available"] is False
    assert desk["dispatch_rule"] == "round_robin"
    assert desk["dispatch_rule_display"] == "轮流分配"
    assert rows[1]["is_enabled"] is False
    assert rows[1]["member_count"] == 0


def test_queue_detail(api, world):
    body = api(world.handler).get(f"{QUEUES}{world.queue.pk}/").json()
    assert body["name"] == "桌面运维"
    assert body["member_count"] == 2
    assert_error(api(world.handler).get(f"{QUEUES}999999/"), 404, "not_found")
    assert_error(api(world.handler).get(f"{QUEUES}abc/"), 404, "not_found")
    assert_error(api(world.handler).get(f"{QUEUES}{10**30}/"), 404, "not_found")


def test_create_queue(api, world):
    response = api(world.admin).post(
        QUEUES,
        {
            "name": "二线数据库",
            "description": "DBA 值班",
            "dispatch_rule": "least_loaded",
            "members": [world.teammate.pk, world.handler.pk, world.teammate.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "二线数据库"
    assert body["dispatch_rule"] == "least_loaded"
    # Members keep the given order (the rotation order); duplicates collapse.
    assert [m["id"] for m in body["members"]] == [world.teammate.pk, world.handler.pk]
    assert body["member_count"] == 2
    queue = Queue.objects.get(pk=body["id"])
    assert queue.description == "DBA 值班"
    assert queue.is_enabled


def test_create_queue_with_defaults(api, world):
    body = api(world.admin).post(QUEUES, {"name": "  值班  "}, format="json").json()
    assert body["name"] == "值班"
    assert body["dispatch_rule"] == "round_robin"
    assert body["members"] == []


def test_queue_name_longer_than_25_is_refused_clearly(api, world):
    response = api(world.admin).post(QUEUES, {"name": "队" * 26}, format="json")
    body = assert_error(response, 400, "invalid", field="name")
    assert "25" in body["errors"]["name"][0]
    assert "26" in body["errors"]["name"][0]
    ok = api(world.admin).post(QUEUES, {"name": "队" * 25}, format="json")
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "桌面运维"}, "name"),
        ({"name": "Desk", "dispatch_rule": "random"}, "dispatch_rule"),
        ({"name": "Desk", "members": "1,2"}, "members"),
        ({"name": "Desk", "members": [999999]}, "members"),
        ({"name": "Desk", "members": ["abc"]}, "members"),
        ({"name": "Desk", "members": [0]}, "members"),
        ({"name": "Desk", "description": {"a": 1}}, "description"),
        ({"name": {"zh": "x"}}, "name"),
    ],
)
def test_create_queue_rejects_bad_input(api, world, payload, field):
    before = Queue.objects.count()
    response = api(world.admin).post(QUEUES, payload, format="json")
    assert_error(response, 400, "invalid", field=field)
    assert Queue.objects.count() == before


def test_queue_names_are_unique_ignoring_case(api, world):
    api(world.admin).post(QUEUES, {"name": "Network"}, format="json")
    response = api(world.admin).post(QUEUES, {"name": "NETWORK"}, format="json")
    assert_error(response, 400, "invalid", field="name")


def test_inactive_users_cannot_be_members(api, world):
    world.agent.is_active = False
    world.agent.save()
    response = api(world.admin).post(
        QUEUES, {"name": "x", "members": [world.agent.pk]}, format="json"
    )
    body = assert_error(response, 400, "invalid", field="members")
    assert str(world.agent.pk) in body["errors"]["members"][0]


def test_create_queue_needs_queues_manage(api, world):
    for user in (world.handler, world.observer, world.agent, world.nobody):
        assert_error(api(user).post(QUEUES, {"name": "x"}), 403, "permission_denied")
    assert_error(api().post(QUEUES, {"name": "x"}), 401, "not_authenticated")
    # Permission is checked before the body: a bad body from a non-manager is still 403.
    assert_error(api(world.handler).post(QUEUES, {"name": "x" * 40}), 403)
    assert not Queue.objects.filter(name="x").exists()


def test_service_refuses_non_managers_too(world):
    from andon.core.errors import PermissionDenied
    from andon.queues.services import create_queue

    with pytest.raises(PermissionDenied):
        create_queue(actor=world.handler, name="x")


# --- catalog --------------------------------------------------------------------------------------


def test_catalog_list_in_tree_order(api, world):
    hardware = world.entry.parent
    hardware.order = 2
    hardware.save()
    software = factories.CatalogEntryFactory(name="软件", order=1)
    office = factories.CatalogEntryFactory(name="Office", parent=software, queue=world.queue)
    disabled = factories.CatalogEntryFactory(
        name="邮件", parent=software, queue=world.other_queue, order=5
    )
    world.other_queue.is_enabled = False
    world.other_queue.save()
    rows = api(world.agent).get(CATALOG).json()
    assert [r["id"] for r in rows] == [
        software.pk,
        office.pk,
        disabled.pk,
        hardware.pk,
        world.entry.pk,
    ]
    top = rows[0]
    assert top["level"] == 1
    assert top["parent"] is None
    assert top["queue"] is None
    assert top["has_usable_queue"] is False
    leaf = rows[1]
    assert leaf["level"] == 2
    assert leaf["parent"] == {"id": software.pk, "name": "软件"}
    assert leaf["queue"] == {"id": world.queue.pk, "name": "桌面运维", "is_enabled": True}
    assert leaf["has_usable_queue"] is True
    # An entry whose queue is disabled says so.
    assert rows[2]["queue"]["is_enabled"] is False
    assert rows[2]["has_usable_queue"] is False


def test_catalog_list_filters(api, world):
    software = factories.CatalogEntryFactory(name="软件")
    office = factories.CatalogEntryFactory(name="Office", parent=software, queue=world.queue)
    retired = factories.CatalogEntryFactory(
        name="旧系统", parent=software, queue=world.queue, is_retired=True
    )
    client = api(world.agent)

    def ids(**params):
        response = client.get(CATALOG, params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()]

    assert ids(level=1) == [world.entry.parent_id, software.pk]
    assert ids(parent=software.pk) == [office.pk, retired.pk]
    assert ids(parent=software.pk, is_retired="false") == [office.pk]
    assert ids(is_retired="true") == [retired.pk]
    for params, field in (({"level": 3}, "level"), ({"parent": "x"}, "parent")):
        assert_error(client.get(CATALOG, params), 400, "invalid", field=field)
    assert_error(client.get(CATALOG, {"is_retired": "perhaps"}), 400, field="is_retired")


def test_create_level_one_and_level_two(api, world):
    client = api(world.admin)
    top = client.post(CATALOG, {"name": "账号与权限", "description": "登录、授权"}, format="json")
    assert top.status_code == 201, top.content
    top = top.json()
    assert top["level"] == 1
    assert top["parent"] is None
    assert top["queue"] is None
    leaf = client.post(
        CATALOG,
        {"name": "VPN 开通", "parent": top["id"], "queue": world.queue.pk},
        format="json",
    )
    assert leaf.status_code == 201, leaf.content
    leaf = leaf.json()
    assert leaf["level"] == 2
    assert leaf["parent"] == {"id": top["id"], "name": "账号与权限"}
    assert leaf["queue"]["id"] == world.queue.pk
    assert leaf["has_usable_queue"] is True
    entry = CatalogEntry.objects.get(pk=leaf["id"])
    assert entry.name_key == "vpn开通"
    # New entries go to the end of their siblings.
    second = client.post(
        CATALOG, {"name": "邮箱开通", "parent": top["id"], "queue": world.queue.pk}, format="json"
    ).json()
    assert second["order"] > leaf["order"]
    # A ticket can be filed under the new level-2 entry at once.
    ticket = client.post(
        "/api/v1/tickets/", {"title": "开 VPN", "catalog_entry": leaf["id"]}, format="json"
    )
    assert ticket.status_code == 201
    assert ticket.json()["queue"]["id"] == world.queue.pk


def test_catalog_names_are_unique_ignoring_case_and_spaces(api, world):
    client = api(world.admin)
    top = client.post(CATALOG, {"name": "VPN 故障"}, format="json").json()
    clash = client.post(CATALOG, {"name": "vpn故障"}, format="json")
    assert_error(clash, 400, "invalid", field="name")
    leaf = {"name": "无法 连接", "parent": top["id"], "queue": world.queue.pk}
    assert client.post(CATALOG, leaf, format="json").status_code == 201
    again = client.post(CATALOG, {**leaf, "name": "无法连接"}, format="json")
    assert_error(again, 400, "invalid", field="name")
    # The same level-2 name under another level-1 entry is fine, and so is a level-1 entry
    # named like some level-2 entry.
    other_top = client.post(CATALOG, {"name": "网络"}, format="json").json()
    elsewhere = client.post(CATALOG, {**leaf, "parent": other_top["id"]}, format="json")
    assert elsewhere.status_code == 201
    assert client.post(CATALOG, {"name": "无法连接"}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("payload", "field", "message_part"),
    [
        ({}, "name", None),
        ({"name": "  "}, "name", None),
        ({"name": "x" * 51}, "name", "50"),
        ({"name": "x", "queue": "QUEUE"}, "queue", "一级"),
        ({"name": "x", "parent": "TOP"}, "queue", "必须"),
        ({"name": "x", "parent": "TOP", "queue": 999999}, "queue", None),
        ({"name": "x", "parent": "TOP", "queue": "DISABLED"}, "queue", "停用"),
        ({"name": "x", "parent": 999999, "queue": "QUEUE"}, "parent", None),
        ({"name": "x", "parent": "LEAF", "queue": "QUEUE"}, "parent", "两级"),
        ({"name": "x", "parent": "RETIRED", "queue": "QUEUE"}, "parent", "停用"),
        ({"name": "x", "parent": "abc"}, "parent", None),
        ({"name": "x", "order": -1}, "order", None),
        ({"name": "x", "description": "d" * 201}, "description", "200"),
    ],
)
def test_create_catalog_entry_rejects_bad_input(api, world, payload, field, message_part):
    retired = factories.CatalogEntryFactory(name="旧", is_retired=True)
    world.other_queue.is_enabled = False
    world.other_queue.save()
    refs = {
        "TOP": world.entry.parent_id,
        "LEAF": world.entry.pk,
        "RETIRED": retired.pk,
        "QUEUE": world.queue.pk,
        "DISABLED": world.other_queue.pk,
    }
    payload = {k: refs.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    before = CatalogEntry.objects.count()
    response = api(world.admin).post(CATALOG, payload, format="json")
    body = assert_error(response, 400, "invalid", field=field)
    if message_part:
        assert message_part in body["errors"][field][0]
    assert CatalogEntry.objects.count() == before


def test_create_catalog_entry_needs_catalog_manage(api, world):
    for user in (world.handler, world.observer, world.agent, world.nobody):
        assert_error(api(user).post(CATALOG, {"name": "x"}), 403, "permission_denied")
    assert_error(api().post(CATALOG, {"name": "x"}), 401, "not_authenticated")
    assert not CatalogEntry.objects.filter(name="x").exists()
