"""Field templates API (/api/v1/fields/) and custom fields on tickets through the API."""

import pytest

from andon.audit.models import AuditEntry
from andon.fields import services
from andon.fields.models import FieldDefinition
from andon.tickets.models import Attachment, Ticket
from tests import factories
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

FIELDS = "/api/v1/fields/"


def make(world, **data):
    payload = {"name": "资产编号", "type": "text", "required": False, "scope": [world.entry.pk]}
    payload.update(data)
    return services.create_field(actor=world.admin, data=payload)


def test_create_derives_the_key_and_answers_the_full_shape(api, world):
    response = api(world.admin).post(
        FIELDS,
        {
            "name": "Impact",
            "type": "number",
            "required": True,
            "min_value": 1,
            "max_value": 500,
            "help_text": "受影响的人数",
            "scope": [world.entry.parent_id],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Impact",
        "key": "impact",
        "type": "number",
        "required": True,
        "options": [],
        "help_text": "受影响的人数",
        "default": None,
        "min_value": 1,
        "max_value": 500,
        "order": body["order"],
        "is_active": True,
        "scope": [world.entry.parent_id],
    }
    assert AuditEntry.objects.filter(action="create", object_type="fields.fielddefinition").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "text", "required": True}, "name"),
        ({"name": "x", "required": True}, "type"),
        ({"name": "x", "type": "text"}, "required"),
        ({"name": "x", "type": "nope", "required": True}, "type"),
        ({"name": "x", "type": "select", "required": True, "options": []}, "options"),
        ({"name": "x", "type": "text", "required": True, "scope": []}, "scope"),
        ({"name": "x", "type": "text", "required": True, "scope": [999999]}, "scope"),
        ({"name": "x", "type": "text", "required": True, "key": "Bad Key"}, "key"),
        (
            {"name": "x", "type": "number", "required": True, "min_value": 5, "max_value": 1},
            "max_value",
        ),
        ({"name": "x", "type": "number", "required": True, "default": "abc"}, "default"),
    ],
)
def test_create_refuses_bad_input_per_field(api, world, payload, field):
    payload.setdefault("scope", [world.entry.pk])
    response = api(world.admin).post(FIELDS, payload, format="json")
    assert_error(response, 400, "invalid", field)
    assert not FieldDefinition.objects.exists()


def test_non_object_body_is_a_400(api, world):
    response = api(world.admin).post(FIELDS, [1, 2], format="json")
    assert_error(response, 400)


def test_list_filters_by_scope_tree_aware_and_state(api, world, django_assert_max_num_queries):
    on_leaf = make(world, name="叶子字段")
    on_parent = make(world, name="一级字段", scope=[world.entry.parent_id])
    other_leaf = factories.catalog_leaf(world.queue, name="扫描仪")
    elsewhere = make(world, name="别处字段", scope=[other_leaf.pk])
    retired = make(world, name="旧字段")
    services.set_field_active(actor=world.admin, field_id=retired.pk, active=False)
    client = api(world.requester)

    with django_assert_max_num_queries(3):
        body = client.get(FIELDS).json()
    assert [f["id"] for f in body] == [on_leaf.pk, on_parent.pk, elsewhere.pk, retired.pk]

    body = client.get(FIELDS, {"scope": world.entry.pk, "is_active": "true"}).json()
    assert [f["id"] for f in body] == [on_leaf.pk, on_parent.pk]
    # A level-1 scope matches fields on it and on any of its level-2 entries.
    body = client.get(FIELDS, {"scope": world.entry.parent_id}).json()
    assert {f["id"] for f in body} == {on_leaf.pk, on_parent.pk, retired.pk}
    assert {f["id"] for f in client.get(FIELDS, {"is_active": "false"}).json()} == {retired.pk}
    assert_error(client.get(FIELDS, {"scope": "abc"}), 400, field="scope")


def test_list_query_count_does_not_grow(api, world, django_assert_max_num_queries):
    for n in range(12):
        make(world, name=f"字段{n}")
    client = api(world.admin)
    with django_assert_max_num_queries(3):  # auth, fields, their scopes
        assert len(client.get(FIELDS).json()) == 12


def test_patch_edits_but_never_changes_type_or_key(api, world):
    field = make(world, type="select", options=["高", "低"])
    client = api(world.admin)
    response = client.patch(
        f"{FIELDS}{field.pk}/", {"options": ["高", "中", "低"], "required": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["options"] == ["高", "中", "低"]
    assert response.json()["required"] is True
    assert_error(
        client.patch(f"{FIELDS}{field.pk}/", {"type": "text"}, format="json"), 400, field="type"
    )
    assert_error(
        client.patch(f"{FIELDS}{field.pk}/", {"key": "other"}, format="json"), 400, field="key"
    )
    assert_error(client.get(f"{FIELDS}999999/"), 404, "not_found")
    assert_error(client.patch(f"{FIELDS}999999/", {"name": "x"}, format="json"), 404)


def test_retire_restore_and_reorder(api, world):
    first, second, third = (make(world, name=n) for n in ("甲", "乙", "丙"))
    client = api(world.admin)
    assert client.post(f"{FIELDS}{second.pk}/retire/").json()["is_active"] is False
    entry_fields = client.get(f"/api/v1/catalog/{world.entry.pk}/fields/").json()
    assert [f["id"] for f in entry_fields] == [first.pk, third.pk]
    assert client.post(f"{FIELDS}{second.pk}/restore/").json()["is_active"] is True

    response = client.post(f"{FIELDS}reorder/", {"order": [third.pk, first.pk]}, format="json")
    assert response.status_code == 200, response.content
    # The listed fields swap the places they held; the others stay where they were.
    assert [f["id"] for f in response.json()] == [third.pk, second.pk, first.pk]
    entry_fields = client.get(f"/api/v1/catalog/{world.entry.pk}/fields/").json()
    assert [f["key"] for f in entry_fields] == [third.key, second.key, first.key]

    for bad in ({"order": []}, {"order": [first.pk, first.pk]}, {"order": [999999]}, {}):
        assert_error(client.post(f"{FIELDS}reorder/", bad, format="json"), 400, field="order")


def test_catalog_entry_fields_include_the_level1_scope(api, world):
    on_parent = make(world, name="一级字段", scope=[world.entry.parent_id])
    on_leaf = make(world, name="叶子字段")
    body = api(world.requester).get(f"/api/v1/catalog/{world.entry.pk}/fields/").json()
    assert [f["id"] for f in body] == [on_parent.pk, on_leaf.pk]
    assert_error(api(world.requester).get("/api/v1/catalog/999999/fields/"), 404)


# --- custom fields on tickets through the API -------------------------------------------------


def test_ticket_create_validates_custom_fields(api, world):
    severity = make(
        world, name="严重程度", key="severity", type="select", options=["高", "低"], required=True
    )
    make(world, name="影响人数", key="impact", type="number", min_value=1, max_value=100)
    client = api(world.requester)
    base = {"title": "打印机卡纸", "catalog_entry": world.entry.pk}

    body = assert_error(client.post("/api/v1/tickets/", base, format="json"), 400)
    assert body["errors"] == {"custom_fields.severity": ["严重程度为必填项"]}

    bad = {**base, "custom_fields": {"severity": "中", "impact": 0, "nope": "x"}}
    body = assert_error(client.post("/api/v1/tickets/", bad, format="json"), 400)
    assert set(body["errors"]) == {
        "custom_fields.severity",
        "custom_fields.impact",
        "custom_fields.nope",
    }
    assert not Ticket.objects.exists()

    good = {**base, "custom_fields": {"severity": "高", "impact": "12"}}
    response = client.post("/api/v1/tickets/", good, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == {"severity": "高", "impact": 12}
    assert severity.key in Ticket.objects.get().custom_fields


def test_attachment_field_files_are_stored_as_attachments(api, world):
    make(world, name="截图", key="screenshot", type="attachment", required=True)
    client = api(world.requester)
    data = {"title": "屏幕花屏", "catalog_entry": world.entry.pk}
    body = assert_error(client.post("/api/v1/tickets/", data, format="multipart"), 400)
    assert "custom_fields.screenshot" in body["errors"]

    data["custom_fields.screenshot"] = factories.upload("screen.png")
    response = client.post("/api/v1/tickets/", data, format="multipart")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    attachment = Attachment.objects.get(ticket=ticket)
    assert ticket.custom_fields == {"screenshot": [attachment.pk]}
    assert attachment.original_name == "screen.png"

    data["custom_fields.screenshot"] = factories.upload("evil.exe")
    body = assert_error(client.post("/api/v1/tickets/", data, format="multipart"), 400)
    assert "custom_fields.screenshot" in body["errors"]


def test_ticket_list_filters_by_custom_field(api, world):
    make(world, name="严重程度", key="severity", type="select", options=["高", "低"])
    make(world, name="影响人数", key="impact", type="number")
    make(world, name="标签", key="tags", type="multiselect", options=["网络", "硬件", "软件"])
    make(world, name="备注", key="note", type="text")
    make(world, name="已备份", key="backed_up", type="boolean")
    make(world, name="截图", key="shot", type="attachment")
    first = factories.make_ticket(
        actor=world.requester,
        entry=world.entry,
        custom_fields={
            "severity": "高",
            "impact": 5,
            "tags": ["网络", "硬件"],
            "note": "三楼机房",
            "backed_up": True,
        },
    )
    second = factories.make_ticket(
        actor=world.requester,
        entry=world.entry,
        custom_fields={"severity": "低", "impact": 50, "tags": ["软件"], "backed_up": False},
    )
    client = api(world.admin)

    def ids(**params):
        response = client.get("/api/v1/tickets/", params)
        assert response.status_code == 200, response.content
        return {t["id"] for t in response.json()["results"]}

    assert ids(cf_severity="高") == {first.pk}
    assert ids(cf_impact="50") == {second.pk}
    assert ids(cf_tags="硬件") == {first.pk}
    assert ids(cf_tags="软件") == {second.pk}
    assert ids(cf_note="机房") == {first.pk}
    assert ids(cf_backed_up="否") == {second.pk}
    assert ids(cf_severity="高", cf_impact="50") == set()
    assert_error(client.get("/api/v1/tickets/", {"cf_severity": "中"}), 400, field="cf_severity")
    assert_error(client.get("/api/v1/tickets/", {"cf_impact": "many"}), 400, field="cf_impact")
    assert_error(client.get("/api/v1/tickets/", {"cf_missing": "x"}), 400, field="cf_missing")
    assert_error(client.get("/api/v1/tickets/", {"cf_shot": "x"}), 400, field="cf_shot")


def test_patch_validates_only_changed_keys_and_keeps_old_values(api, world):
    field = make(world, name="严重程度", key="severity", type="select", options=["高", "低"])
    make(world, name="楼层", key="floor", type="text")
    ticket = factories.make_ticket(
        actor=world.requester, entry=world.entry, custom_fields={"severity": "高", "floor": "3F"}
    )
    # The admin drops the option the ticket holds: the stored value stays untouched.
    services.update_field(actor=world.admin, field_id=field.pk, data={"options": ["低", "中"]})
    client = api(world.handler)
    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"floor": "5F"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == {"severity": "高", "floor": "5F"}
    body = assert_error(
        client.patch(
            f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"severity": "高"}}, format="json"
        ),
        400,
    )
    assert list(body["errors"]) == ["custom_fields.severity"]
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"severity": "高", "floor": "5F"}
