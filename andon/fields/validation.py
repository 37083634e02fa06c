"""Server-side validation of custom field values against the entry's field templates.

Values are stored in `Ticket.custom_fields` keyed by field key, in JSON-native forms that can be
filtered on: text/number/boolean as themselves, dates as ISO strings, people as user ids,
multiple choices as lists, attachments as lists of attachment ids.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from andon.catalog.models import CatalogEntry
from andon.core.errors import ValidationFailed
from andon.fields.models import FieldDefinition, FieldType
from andon.fields.selectors import filing_fields

TEXT_MAX = {FieldType.TEXT: 500, FieldType.TEXTAREA: 5000}


class FieldError(ValueError):
    pass


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def plain_number(value: Decimal) -> str:
    """100.000000 -> "100" (never "1E+2")."""
    return format(value.normalize(), "f")


def _number(field: FieldDefinition, value):
    if isinstance(value, bool):
        raise FieldError(_("请输入数字"))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldError(_("请输入数字")) from None
    if not number.is_finite():
        raise FieldError(_("请输入数字"))
    if field.min_value is not None and number < field.min_value:
        raise FieldError(_("不能小于 %s") % plain_number(field.min_value))
    if field.max_value is not None and number > field.max_value:
        raise FieldError(_("不能大于 %s") % plain_number(field.max_value))
    return int(number) if number == number.to_integral_value() else float(number)


def _date(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    try:
        parsed = parse_date(value.strip()) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        raise FieldError(_("请输入日期，如 2026-01-31"))
    return parsed.isoformat()


def _datetime(value):
    parsed = value if isinstance(value, dt.datetime) else None
    if parsed is None and isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise FieldError(_("请输入日期时间，如 2026-01-31T09:30"))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed.isoformat()


def _select(field, value):
    if not isinstance(value, str) or value not in field.options:
        raise FieldError(_("请选择给定的选项"))
    return value


def _multiselect(field, value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldError(_("请选择给定的选项"))
    unknown = [v for v in value if v not in field.options]
    if unknown:
        raise FieldError(_("不是可选项：%s") % "、".join(unknown))
    # Keep the admin's option order and drop duplicates.
    return [option for option in field.options if option in value]


def _user(value):
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise FieldError(_("请选择人员")) from None
    if (
        isinstance(value, bool)
        or not get_user_model().objects.filter(pk=user_id, is_active=True).exists()
    ):
        raise FieldError(_("人员不存在或已停用"))
    return user_id


def _boolean(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on", "是"}:
        return True
    if text in {"false", "0", "no", "off", "否"}:
        return False
    raise FieldError(_("请选择是或否"))


def _text(field, value):
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise FieldError(_("请输入文本"))
    value = str(value).strip()
    limit = TEXT_MAX[field.type]
    if len(value) > limit:
        raise FieldError(_("不能超过 %s 个字符") % limit)
    return value


def clean_value(field: FieldDefinition, value):
    if field.type in (FieldType.TEXT, FieldType.TEXTAREA):
        return _text(field, value)
    if field.type == FieldType.NUMBER:
        return _number(field, value)
    if field.type == FieldType.DATE:
        return _date(value)
    if field.type == FieldType.DATETIME:
        return _datetime(value)
    if field.type == FieldType.SELECT:
        return _select(field, value)
    if field.type == FieldType.MULTISELECT:
        return _multiselect(field, value)
    if field.type == FieldType.USER:
        return _user(value)
    if field.type == FieldType.BOOLEAN:
        return _boolean(value)
    raise FieldError(_("附件字段请上传文件"))


def clean_custom_fields(
    *, entry: CatalogEntry, values: dict | None, attachment_keys: frozenset[str] = frozenset()
) -> dict:
    """Validate `values` for filing under `entry`; return the cleaned dict.

    `attachment_keys` are the attachment-type fields for which files were uploaded with the
    request (their ids are stored by the caller once the files are saved). Raises
    ValidationFailed with errors keyed `custom_fields.<key>`.
    """
    if values in (None, ""):
        values = {}
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise ValidationFailed(
            _("自定义字段格式不正确"), errors={"custom_fields": [_("应为以字段标识为键的对象")]}
        )
    definitions = filing_fields(entry)
    known = {field.key for field in definitions}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(values) - known):
        errors[f"custom_fields.{key}"] = [_("该服务目录没有此字段")]
    attachment_fields = {f.key for f in definitions if f.type == FieldType.ATTACHMENT}
    for key in sorted(set(attachment_keys) - attachment_fields):
        errors[f"custom_fields.{key}"] = [
            _("该字段不接受文件") if key in known else _("该服务目录没有此字段")
        ]
    cleaned: dict = {}
    for field in definitions:
        if field.type == FieldType.ATTACHMENT:
            if field.key in values and not _is_empty(values[field.key]):
                errors[f"custom_fields.{field.key}"] = [_("附件字段请上传文件")]
            elif field.required and field.key not in attachment_keys:
                errors[f"custom_fields.{field.key}"] = [_("%s为必填项") % field.name]
            continue
        value = values.get(field.key)
        if _is_empty(value) and field.default not in (None, "", []):
            value = field.default
        if _is_empty(value):
            if field.required:
                errors[f"custom_fields.{field.key}"] = [_("%s为必填项") % field.name]
            continue
        try:
            cleaned[field.key] = clean_value(field, value)
        except FieldError as exc:
            errors[f"custom_fields.{field.key}"] = [f"{field.name}：{exc}"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned


def _is_upload(value) -> bool:
    return isinstance(value, UploadedFile)


def separate_uploads(values) -> tuple[object, dict[str, list[UploadedFile]]]:
    """Split uploaded files (a file or a list of files under a field key) from plain values."""
    if not isinstance(values, dict):
        return values, {}
    plain, files = {}, {}
    for key, value in values.items():
        if _is_upload(value):
            files[key] = [value]
        elif isinstance(value, list | tuple) and value and all(_is_upload(v) for v in value):
            files[key] = list(value)
        else:
            plain[key] = value
    return plain, files


def clean_custom_field_changes(*, entry: CatalogEntry, changes) -> tuple[dict, set[str]]:
    """Validate an edit of some custom field values of a ticket filed under `entry`.

    Only the keys given are checked, against the entry's current definitions, so an edited or
    retired template never invalidates (or rewrites) the values a ticket already holds.
    Returns (values to set, keys to clear).
    """
    if not isinstance(changes, dict) or not all(isinstance(k, str) for k in changes):
        raise ValidationFailed(
            _("自定义字段格式不正确"), errors={"custom_fields": [_("应为以字段标识为键的对象")]}
        )
    definitions = {field.key: field for field in filing_fields(entry)}
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    cleared: set[str] = set()
    for key, value in changes.items():
        field = definitions.get(key)
        name = f"custom_fields.{key}"
        if field is None:
            errors[name] = [_("该服务目录没有此字段")]
        elif field.type == FieldType.ATTACHMENT:
            errors[name] = [_("附件字段请以上传附件的方式修改")]
        elif _is_empty(value):
            if field.required:
                errors[name] = [_("%s为必填项") % field.name]
            else:
                cleared.add(key)
        else:
            try:
                cleaned[key] = clean_value(field, value)
            except FieldError as exc:
                errors[name] = [f"{field.name}：{exc}"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned, cleared


def clean_custom_fields_for_move(*, entry: CatalogEntry, current: dict, changes) -> dict:
    """The custom field values of a ticket moving to `entry`: its stored values with `changes`
    applied, checked against the new entry's templates as filing would check them, so that a
    field the new entry requires is filled. Values of fields the new entry does not have are
    dropped (the edit's event keeps them in its `before`); stored attachment ids are kept for
    attachment fields the new entry also has (files are not uploaded through an edit)."""
    if changes in (None, ""):
        changes = {}
    if not isinstance(changes, dict) or not all(isinstance(k, str) for k in changes):
        raise ValidationFailed(
            _("自定义字段格式不正确"), errors={"custom_fields": [_("应为以字段标识为键的对象")]}
        )
    definitions = filing_fields(entry)
    known = {field.key for field in definitions}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(changes) - known):
        errors[f"custom_fields.{key}"] = [_("新的服务目录没有此字段")]
    merged = {**(current or {}), **changes}
    cleaned: dict = {}
    for field in definitions:
        name = f"custom_fields.{field.key}"
        value = merged.get(field.key)
        if field.type == FieldType.ATTACHMENT:
            if field.key in changes and not _is_empty(changes[field.key]):
                errors[name] = [_("附件字段请以上传附件的方式修改")]
            elif not _is_empty(value) and field.key not in changes:
                cleaned[field.key] = value
            elif field.required:
                errors[name] = [_("%s为必填项") % field.name]
            continue
        if _is_empty(value):
            if field.required:
                errors[name] = [_("%s为必填项") % field.name]
            continue
        try:
            cleaned[field.key] = clean_value(field, value)
        except FieldError as exc:
            errors[name] = [f"{field.name}：{exc}"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned
