"""Writes to field templates (字段模板). Every change is audited."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import diff, record_audit
from andon.catalog.models import CatalogEntry
from andon.core import config_cache
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.core.validation import line_error, parse_id
from andon.fields.models import CHOICE_TYPES, FieldDefinition, FieldType
from andon.fields.validation import FieldError, clean_value, plain_number

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def _require_manage(actor) -> None:
    if not has_perm(actor, "fields.manage"):
        raise PermissionDenied(_("没有管理字段模板的权限"))


def _derive_key(name: str) -> str:
    base = slugify(name).replace("-", "_")[:40]
    if not base or not base[0].isalpha():
        base = f"field_{base}" if base else "field"
    key, n = base, 1
    while FieldDefinition.objects.filter(key=key).exists():
        n += 1
        key = f"{base}_{n}"
    return key


def _decimal(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise InvalidOperation
        return number
    except InvalidOperation:
        errors[field] = [_("请输入数字")]
        return None


def _snapshot(field: FieldDefinition) -> dict:
    return {
        "name": field.name,
        "key": field.key,
        "type": field.type,
        "required": field.required,
        "options": list(field.options),
        "help_text": field.help_text,
        "default": field.default,
        "min_value": None if field.min_value is None else plain_number(field.min_value),
        "max_value": None if field.max_value is None else plain_number(field.max_value),
        "order": field.order,
        "is_active": field.is_active,
        "scope": sorted(field.scope.values_list("pk", flat=True)) if field.pk else [],
    }


def _clean(data: dict, instance: FieldDefinition | None) -> tuple[dict, list[CatalogEntry]]:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}

    name = data.get("name", instance.name if instance else None)
    if not isinstance(name, str) or not name.strip():
        errors["name"] = [_("请填写字段名称")]
    elif len(name.strip()) > 50:
        errors["name"] = [_("字段名称不能超过 50 个字符")]
    elif problem := line_error(name, _("字段名称")):
        errors["name"] = [problem]
    else:
        cleaned["name"] = name.strip()

    ftype = data.get("type", instance.type if instance else None)
    if ftype not in FieldType.values:
        errors["type"] = [_("请选择字段类型")]
    elif instance and ftype != instance.type:
        # Stored values were validated for the old type; changing it would strand them.
        errors["type"] = [_("字段类型创建后不能修改，请新建字段")]
    else:
        cleaned["type"] = ftype

    required = data.get("required", instance.required if instance else None)
    if not isinstance(required, bool):
        errors["required"] = [_("请选择是否必填")]
    else:
        cleaned["required"] = required

    options = data.get("options", instance.options if instance else [])
    if ftype in CHOICE_TYPES:
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            errors["options"] = [_("选项应为文本列表")]
        else:
            options = [o.strip() for o in options if o.strip()]
            if not options:
                errors["options"] = [_("选择类字段至少需要一个选项")]
            elif len(set(options)) != len(options):
                errors["options"] = [_("选项不能重复")]
            elif problem := next(filter(None, (line_error(o, _("选项")) for o in options)), None):
                errors["options"] = [problem]
            cleaned["options"] = options
    else:
        cleaned["options"] = []

    help_text = data.get("help_text", instance.help_text if instance else "") or ""
    if not isinstance(help_text, str) or len(help_text) > 200:
        errors["help_text"] = [_("提示不能超过 200 个字符")]
    elif problem := line_error(help_text.strip(), _("提示")):
        errors["help_text"] = [problem]
    else:
        cleaned["help_text"] = help_text.strip()

    if ftype == FieldType.NUMBER:
        low = _decimal(data.get("min_value", instance and instance.min_value), "min_value", errors)
        high = _decimal(data.get("max_value", instance and instance.max_value), "max_value", errors)
        if low is not None and high is not None and low > high:
            errors["max_value"] = [_("最大值不能小于最小值")]
        cleaned["min_value"], cleaned["max_value"] = low, high
    else:
        cleaned["min_value"] = cleaned["max_value"] = None

    key = data.get("key") if instance is None else instance.key
    if instance is not None and data.get("key") not in (None, "", instance.key):
        # Tickets store values under the key; renaming it would orphan them.
        errors["key"] = [_("字段标识创建后不能修改")]
    if instance is None and key not in (None, ""):
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            errors["key"] = [_("字段标识须以小写字母开头，只含小写字母、数字和下划线")]
        elif FieldDefinition.objects.filter(key=key).exists():
            errors["key"] = [_("字段标识已存在")]
        else:
            cleaned["key"] = key

    scope_ids = data.get("scope")
    entries: list[CatalogEntry] = []
    if scope_ids is None and instance is not None:
        entries = list(instance.scope.all())
    elif not isinstance(scope_ids, list) or not scope_ids:
        errors["scope"] = [_("请选择至少一个服务目录")]
    else:
        # parse_id refuses non-ids and ids beyond 64 bits (the database cannot compare those).
        ids = {parse_id(i) for i in scope_ids} - {None}
        entries = list(CatalogEntry.objects.filter(pk__in=ids))
        if not ids or len(entries) != len(ids) or len(ids) != len(scope_ids):
            errors["scope"] = [_("服务目录不存在")]

    if "type" in cleaned and not errors.get("options"):
        default = data.get("default", instance.default if instance else None)
        if default in (None, "", []):
            cleaned["default"] = None
        elif cleaned["type"] == FieldType.ATTACHMENT:
            errors["default"] = [_("附件字段没有默认值")]
        else:
            probe = FieldDefinition(
                type=cleaned["type"],
                options=cleaned.get("options", []),
                min_value=cleaned.get("min_value"),
                max_value=cleaned.get("max_value"),
            )
            try:
                cleaned["default"] = clean_value(probe, default)
            except FieldError as exc:
                errors["default"] = [str(exc)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned, entries


@transaction.atomic
def create_field(*, actor, data: dict) -> FieldDefinition:
    _require_manage(actor)
    cleaned, entries = _clean(data, None)
    cleaned.setdefault("key", _derive_key(cleaned["name"]))
    order = data.get("order")
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        order = (FieldDefinition.objects.aggregate(m=Max("order"))["m"] or 0) + 1
    field = FieldDefinition.objects.create(order=order, **cleaned)
    field.scope.set(entries)
    config_cache.bump(config_cache.FIELDS)
    record_audit(actor=actor, action="create", obj=field, changes=diff({}, _snapshot(field)))
    return field


@transaction.atomic
def update_field(*, actor, field_id, data: dict) -> FieldDefinition:
    _require_manage(actor)
    field = FieldDefinition.objects.select_for_update().filter(pk=field_id).first()
    if field is None:
        raise ValidationFailed(_("字段不存在"), code="not_found")
    before = _snapshot(field)
    cleaned, entries = _clean(data, field)
    for attr, value in cleaned.items():
        setattr(field, attr, value)
    field.save()
    field.scope.set(entries)
    changes = diff(before, _snapshot(field))
    if changes:
        config_cache.bump(config_cache.FIELDS)
        record_audit(actor=actor, action="update", obj=field, changes=changes)
    return field


@transaction.atomic
def set_field_active(*, actor, field_id, active: bool) -> FieldDefinition:
    """Retire (hide from new tickets) or restore a field; stored ticket values stay untouched."""
    _require_manage(actor)
    field = FieldDefinition.objects.select_for_update().get(pk=field_id)
    if field.is_active != active:
        field.is_active = active
        field.save(update_fields=["is_active"])
        config_cache.bump(config_cache.FIELDS)
        record_audit(
            actor=actor,
            action="enable" if active else "disable",
            obj=field,
            changes={"is_active": [not active, active]},
        )
    return field


@transaction.atomic
def reorder_fields(*, actor, field_ids: list) -> None:
    """Put the given fields in this sequence. They take over the places they held among all
    fields, so a reorder within one scope leaves every other field where it was."""
    _require_manage(actor)
    if not isinstance(field_ids, list | tuple) or not field_ids:
        raise ValidationFailed(_("字段顺序格式不正确"), errors={"order": [_("应为字段 id 列表")]})
    try:
        ids = [int(i) for i in field_ids if not isinstance(i, bool)]
    except (TypeError, ValueError):
        ids = []
    if len(ids) != len(field_ids):
        raise ValidationFailed(_("字段顺序格式不正确"), errors={"order": [_("应为字段 id 列表")]})
    every = list(FieldDefinition.objects.select_for_update().order_by("order", "id"))
    by_pk = {f.pk: f for f in every}
    if len(set(ids)) != len(ids) or any(pk not in by_pk for pk in ids):
        raise ValidationFailed(
            _("字段顺序包含不存在或重复的字段"), errors={"order": [_("字段不存在或重复")]}
        )
    before = {str(f.pk): f.order for f in every}
    moving = set(ids)
    queue = iter(ids)
    sequence = [by_pk[next(queue)] if f.pk in moving else f for f in every]
    for position, field in enumerate(sequence, start=1):
        field.order = position
    FieldDefinition.objects.bulk_update(sequence, ["order"])
    after = {str(f.pk): f.order for f in sequence}
    changes = diff(before, after)
    if changes:
        config_cache.bump(config_cache.FIELDS)
        record_audit(
            actor=actor,
            action="reorder",
            object_type="fields.fielddefinition",
            object_repr=_("字段顺序"),
            changes=changes,
        )
