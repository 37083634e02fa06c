"""Ticket list filters on custom field values: `cf_<key>=value` (used by the ticket FilterSet that
serves both the API and the web list). Each value is validated against the field's type, so a bad
value is a 400 with a per-parameter message, never a database error."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from andon.fields.models import FieldDefinition, FieldType
from andon.fields.validation import FieldError, clean_value

PREFIX = "cf_"
TEXT_TYPES = (FieldType.TEXT, FieldType.TEXTAREA)


class CustomFieldValueField(forms.Field):
    def __init__(self, *, definition: FieldDefinition | None, key: str, **kwargs):
        self.definition = definition
        self.key = key
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        value = (value or "").strip()
        if not value:
            return None
        field = self.definition
        if field is None:
            raise forms.ValidationError(_("没有标识为 %s 的字段") % self.key, code="invalid")
        if field.type == FieldType.ATTACHMENT:
            raise forms.ValidationError(_("附件字段不能用于筛选"), code="invalid")
        if len(value) > 200:
            raise forms.ValidationError(_("筛选值不能超过 200 个字符"), code="invalid")
        if field.type in TEXT_TYPES:
            return value
        if field.type == FieldType.DATETIME and parse_date(value) is not None:
            return ("date", value)
        if field.type == FieldType.MULTISELECT:
            if value not in field.options:
                raise forms.ValidationError(_("请选择给定的选项"), code="invalid")
            return value
        probe = FieldDefinition(type=field.type, options=field.options)  # no min/max when filtering
        try:
            return clean_value(probe, value)
        except FieldError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


def _contains_option(key: str, option: str) -> Q:
    """A multiple-choice value (a JSON list) that includes `option`."""
    if connection.features.supports_json_field_contains:
        return Q(**{f"custom_fields__{key}__contains": [option]})
    # SQLite has no JSON containment; look inside the list with json_each. `key` is a validated
    # field key ([a-z][a-z0-9_]*), the option a bound parameter.
    sql = (
        'EXISTS (SELECT 1 FROM json_each("tickets_ticket"."custom_fields", %s) AS item '
        "WHERE item.value = %s)"
    )
    return Q(RawSQL(sql, (f"$.{key}", option), output_field=BooleanField()))


class CustomFieldFilter(django_filters.Filter):
    field_class = CustomFieldValueField

    def __init__(self, *, definition, key, **kwargs):
        self.definition = definition
        super().__init__(definition=definition, key=key, **kwargs)
        self.key = key

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value is None:
            return qs
        key, kind = self.key, self.definition.type
        if kind in TEXT_TYPES:
            return qs.filter(**{f"custom_fields__{key}__icontains": value})
        if kind == FieldType.MULTISELECT:
            return qs.filter(_contains_option(key, value))
        if isinstance(value, tuple):  # a date for a date-time field: that whole day
            return qs.filter(**{f"custom_fields__{key}__startswith": value[1]})
        return qs.filter(**{f"custom_fields__{key}": value})


def custom_field_filters(data) -> dict[str, CustomFieldFilter]:
    if not data:
        return {}
    names = [name for name in data if isinstance(name, str) and name.startswith(PREFIX)]
    if not names:
        return {}
    keys = {name[len(PREFIX) :]: name for name in names}
    definitions = {f.key: f for f in FieldDefinition.objects.filter(key__in=list(keys))}
    return {
        name: CustomFieldFilter(definition=definitions.get(key), key=key, field_name=name)
        for key, name in keys.items()
    }
