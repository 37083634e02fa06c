"""API for editing queues (PATCH, disable with impact and confirmation, enable) and the service
catalog (PATCH, reorder): happy paths and error shapes."""

import pytest

from andon.catalog.models import CatalogEntry
from andon.queues.models import Queue, QueueMembership
from tests import factories
from tests.api.conftest import assert_error, client_for


@pytest.fixture
def admin_api(world):
    return client_for(world.admin)


def test_patch_queue_edits_fields_and_members(world, admin_api):
    newcomer = factories.handler(username="newcomer")
    response = admin_api.patch(
        f"/api/v1/queues/{world.queue.pk}/",
        {
            "name": "桌面支持",
            "dispatch_rule": "least_loaded",
            "members": [world.handler.pk, newcomer.pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "桌面支持"
    assert body["dispatch_rule"] == "least_loaded"
    assert [m["username"] for m in body["members"]] == ["handler", "newcomer"]
    assert body["member_count"] == 2


def test_patch_queue_name_too_long_is_a_400_on_the_field(world, admin_api):
    response = admin_api.patch(
        f"/api/v1/queues/{world.queue.pk}/", {"name": "长" * 26}, format="json"
    )
    body = assert_error(response, 400, "invalid", "name")
    assert body["errors"]["name"] == ["队列名称最多 25 个字符，当前 26 个"]
    assert Queue.objects.get(pk=world.queue.pk).name == "桌面运维"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"members": "1,2"}, "members"),
        ({"members": [0]}, "members"),
        ({"dispatch_rule": "random"}, "dispatch_rule"),
        ({"members": [987654]}, "members"),
        ({"name": "网络组"}, "name"),
    ],
)
def test_patch_queue_bad_input(world, admin_api, payload, field):
    response = admin_api.patch(f"/api/v1/queues/{world.queue.pk}/", payload, format="json")
    assert_error(response, 400, "invalid", field)
    assert QueueMembership.objects.filter(queue=world.queue).count() == 2


def test_patch_missing_queue_is_404(world, admin_api):
    assert_error(admin_api.patch("/api/v1/queues/99999/", {"name": "x"}, format="json"), 404)


def test_disable_impact_and_unconfirmed_disable_409(world, admin_api):
    url = f"/api/v1/queues/{world.queue.pk}/"
    impact = admin_api.get(url + "disable-impact/").json()
    expected = [
        {
            "id": world.entry.pk,
            "name": "打印机",
            "parent": world.entry.parent.name,
            "path": str(world.entry),
        }
    ]
    assert impact == {"queue": world.queue.pk, "affected_entries": expected}

    response = admin_api.post(url + "disable/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "confirmation_required"
    assert body["affected_entries"] == expected
    assert body["errors"]["catalog_entries"] == [str(world.entry)]
    assert Queue.objects.get(pk=world.queue.pk).is_enabled

    response = admin_api.post(url + "disable/", {"confirm": True}, format="json")
    assert response.status_code == 200
    assert response.json()["is_enabled"] is False
    entry = admin_api.get(f"/api/v1/catalog/{world.entry.pk}/").json()
    assert entry["has_usable_queue"] is False

    # Filing under the entry is now refused with the reason.
    filing = client_for(world.requester).post(
        "/api/v1/tickets/", {"title": "打印机坏了", "catalog_entry": world.entry.pk}, format="json"
    )
    body = assert_error(filing, 400, "invalid", "catalog_entry")
    assert "已停用" in body["errors"]["catalog_entry"][0]

    response = admin_api.post(url + "enable/")
    assert response.status_code == 200
    assert response.json()["is_enabled"] is True
    assert admin_api.get(f"/api/v1/catalog/{world.entry.pk}/").json()["has_usable_queue"]


def test_disable_confirm_must_be_a_boolean(world, admin_api):
    response = admin_api.post(
        f"/api/v1/queues/{world.queue.pk}/disable/", {"confirm": "maybe"}, format="json"
    )
    assert_error(response, 400, "invalid", "confirm")


def test_disable_unknown_queue_is_404(world, admin_api):
    assert_error(admin_api.post("/api/v1/queues/99999/disable/", {}, format="json"), 404)
    assert_error(admin_api.get("/api/v1/queues/99999/disable-impact/"), 404)


def test_patch_catalog_rename_rebind_retire(world, admin_api):
    url = f"/api/v1/catalog/{world.entry.pk}/"
    response = admin_api.patch(
        url, {"name": "打印机与扫描仪", "queue": world.other_queue.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "打印机与扫描仪"
    assert body["queue"] == {"id": world.other_queue.pk, "name": "网络组", "is_enabled": True}
    assert body["has_usable_queue"] is True
    body = admin_api.patch(url, {"is_retired": True, "order": 7}, format="json").json()
    assert body["is_retired"] is True and body["order"] == 7


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"queue": None}, "queue"),
        ({"queue": 0}, "queue"),
        ({"queue": 999999}, "queue"),
        ({"order": -1}, "order"),
        ({"is_retired": "perhaps"}, "is_retired"),
    ],
)
def test_patch_catalog_bad_input(world, admin_api, payload, field):
    response = admin_api.patch(f"/api/v1/catalog/{world.entry.pk}/", payload, format="json")
    assert_error(response, 400, "invalid", field)
    assert CatalogEntry.objects.get(pk=world.entry.pk).name == "打印机"


def test_patch_catalog_duplicate_name_in_the_same_parent(world, admin_api):
    factories.CatalogEntryFactory(name="VPN", parent=world.entry.parent, queue=world.queue)
    response = admin_api.patch(
        f"/api/v1/catalog/{world.entry.pk}/", {"name": " v p n "}, format="json"
    )
    body = assert_error(response, 400, "invalid", "name")
    assert "已有二级目录" in body["errors"]["name"][0]


def test_catalog_detail_404(world, admin_api):
    assert_error(admin_api.get("/api/v1/catalog/99999/"), 404)
    assert_error(admin_api.patch("/api/v1/catalog/99999/", {"name": "x"}, format="json"), 404)


def test_reorder_catalog(world, admin_api):
    parent = world.entry.parent
    second = factories.CatalogEntryFactory(name="扫描仪", parent=parent, queue=world.queue)
    response = admin_api.post(
        "/api/v1/catalog/reorder/",
        {"parent": parent.pk, "order": [second.pk, world.entry.pk]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()] == ["扫描仪", "打印机"]
    listed = admin_api.get(f"/api/v1/catalog/?parent={parent.pk}").json()
    assert [row["name"] for row in listed] == ["扫描仪", "打印机"]


@pytest.mark.parametrize(
    "payload",
    [
        {"parent": None, "order": []},
        {"order": [1]},
        {"parent": None, "order": ["a"]},
    ],
)
def test_reorder_bad_shape(world, admin_api, payload):
    response = admin_api.post("/api/v1/catalog/reorder/", payload, format="json")
    assert_error(response, 400, "invalid")


def test_reorder_incomplete_list(world, admin_api):
    response = admin_api.post(
        "/api/v1/catalog/reorder/",
        {"parent": world.entry.parent_id, "order": [world.entry.pk, world.entry.pk]},
        format="json",
    )
    assert_error(response, 400, "invalid", "order")
