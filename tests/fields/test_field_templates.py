import pytest

from andon.audit.models import AuditEntry
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.fields import services
from andon.fields.models import FieldDefinition
from andon.fields.selectors import fields_for_entry
from andon.fields.validation import clean_custom_fields
from tests import factories


def make_field(actor, entry, **data):
    payload = {"name": "设备编号", "type": "text", "required": False, "scope": [entry.pk]}
    payload.update(data)
    return services.create_field(actor=actor, data=payload)


def test_name_type_and_required_are_mandatory(admin_user, entry):
    with pytest.raises(ValidationFailed) as exc:
        services.create_field(actor=admin_user, data={"scope": [entry.pk]})
    assert set(exc.value.errors) >= {"name", "type", "required"}
    assert not FieldDefinition.objects.exists()


def test_choice_fields_need_unique_options(admin_user, entry):
    with pytest.raises(ValidationFailed) as exc:
        make_field(admin_user, entry, type="select", options=[])
    assert "options" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        make_field(admin_user, entry, type="multiselect", options=["A", "A"])
    assert exc.value.errors["options"] == ["选项不能重复"]


def test_key_is_derived_and_unique(admin_user, entry):
    first = make_field(admin_user, entry, name="Asset Tag")
    second = make_field(admin_user, entry, name="Asset Tag")
    chinese = make_field(admin_user, entry, name="设备编号")
    assert first.key == "asset_tag"
    assert second.key == "asset_tag_2"
    assert chinese.key.startswith("field")
    assert len({first.key, second.key, chinese.key}) == 3


def test_only_field_managers_may_write(entry):
    handler = factories.handler()
    with pytest.raises(PermissionDenied):
        make_field(handler, entry)


def test_level1_scope_covers_level2_entries_in_admin_order(admin_user, entry):
    on_parent = make_field(admin_user, entry.parent, name="影响范围", scope=[entry.parent_id])
    on_leaf = make_field(admin_user, entry, name="设备编号")
    other = factories.catalog_leaf(entry.queue)
    make_field(admin_user, other, name="别处字段", scope=[other.pk])
    assert list(fields_for_entry(entry)) == [on_parent, on_leaf]
    services.reorder_fields(
        actor=admin_user, field_ids=[on_leaf.pk, on_parent.pk, other.field_definitions.get().pk]
    )
    assert list(fields_for_entry(entry)) == [on_leaf, on_parent]
    assert AuditEntry.objects.filter(action="reorder").count() == 1


@pytest.mark.parametrize(
    ("ftype", "extra", "value", "expected"),
    [
        ("text", {}, "  SN-1 ", "SN-1"),
        ("number", {"min_value": 1, "max_value": 10}, "7", 7),
        ("number", {}, 2.5, 2.5),
        ("date", {}, "2026-02-28", "2026-02-28"),
        ("select", {"options": ["高", "低"]}, "低", "低"),
        ("multiselect", {"options": ["A", "B", "C"]}, ["C", "A"], ["A", "C"]),
        ("boolean", {}, "是", True),
    ],
)
def test_values_are_cleaned_by_type(admin_user, entry, ftype, extra, value, expected):
    field = make_field(admin_user, entry, type=ftype, **extra)
    assert clean_custom_fields(entry=entry, values={field.key: value}) == {field.key: expected}


@pytest.mark.parametrize(
    ("ftype", "extra", "value"),
    [
        ("number", {"min_value": 1, "max_value": 10}, 11),
        ("number", {}, "abc"),
        ("number", {}, True),
        ("date", {}, "2026-02-30"),
        ("datetime", {}, "yesterday"),
        ("select", {"options": ["高", "低"]}, "中"),
        ("multiselect", {"options": ["A"]}, ["A", "Z"]),
        ("user", {}, 999999),
        ("boolean", {}, "maybe"),
        ("text", {}, "x" * 501),
    ],
)
def test_bad_values_get_per_field_errors(admin_user, entry, ftype, extra, value):
    field = make_field(admin_user, entry, type=ftype, **extra)
    with pytest.raises(ValidationFailed) as exc:
        clean_custom_fields(entry=entry, values={field.key: value})
    assert list(exc.value.errors) == [f"custom_fields.{field.key}"]


def test_missing_required_and_unknown_fields_are_rejected(admin_user, entry):
    make_field(admin_user, entry, name="设备编号", key="asset", required=True)
    with pytest.raises(ValidationFailed) as exc:
        clean_custom_fields(entry=entry, values={"nope": 1})
    assert exc.value.errors == {
        "custom_fields.nope": ["该服务目录没有此字段"],
        "custom_fields.asset": ["设备编号为必填项"],
    }


def test_default_fills_an_empty_value_and_is_validated(admin_user, entry):
    field = make_field(admin_user, entry, type="select", options=["高", "低"], default="低")
    assert clean_custom_fields(entry=entry, values={}) == {field.key: "低"}
    with pytest.raises(ValidationFailed) as exc:
        make_field(admin_user, entry, type="select", options=["高"], default="无")
    assert "default" in exc.value.errors


def test_person_field_stores_user_id(admin_user, entry):
    person = factories.handler()
    field = make_field(admin_user, entry, type="user")
    assert clean_custom_fields(entry=entry, values={field.key: str(person.pk)}) == {
        field.key: person.pk
    }


def test_required_attachment_field_needs_an_upload(admin_user, entry):
    field = make_field(admin_user, entry, type="attachment", required=True)
    with pytest.raises(ValidationFailed):
        clean_custom_fields(entry=entry, values={})
    assert clean_custom_fields(entry=entry, values={}, attachment_keys=frozenset({field.key})) == {}


def test_type_cannot_change_and_edits_are_audited(admin_user, entry):
    field = make_field(admin_user, entry)
    with pytest.raises(ValidationFailed) as exc:
        services.update_field(actor=admin_user, field_id=field.pk, data={"type": "number"})
    assert "type" in exc.value.errors
    services.update_field(
        actor=admin_user, field_id=field.pk, data={"name": "资产编号", "required": True}
    )
    audit = AuditEntry.objects.filter(action="update").get()
    assert audit.changes == {"name": ["设备编号", "资产编号"], "required": [False, True]}
    assert audit.actor == admin_user


def test_retired_field_leaves_the_form_but_not_old_values(admin_user, entry):
    field = make_field(admin_user, entry, required=True)
    services.set_field_active(actor=admin_user, field_id=field.pk, active=False)
    assert list(fields_for_entry(entry)) == []
    assert clean_custom_fields(entry=entry, values={}) == {}
