"""Web forms of the field templates: the admin's field dialog, and the custom fields block of the
filing form. They only collect input; every rule lives in the services."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from andon.catalog.models import CatalogEntry
from andon.core.errors import ServiceError
from andon.fields.models import CHOICE_TYPES, FieldDefinition, FieldType
from andon.fields.selectors import fields_for_entry
from andon.fields.validation import plain_number

PREFIX = "custom_fields."
USER_CHOICES_MAX = 500


class FieldDefinitionForm(forms.Form):
    name = forms.CharField(label=_("字段名称"), required=False, strip=False)
    key = forms.CharField(label=_("字段标识"), required=False)
    type = forms.CharField(label=_("字段类型"), required=False)
    required = forms.CharField(label=_("必填"), required=False)
    options = forms.CharField(label=_("选项"), required=False)
    help_text = forms.CharField(label=_("提示"), required=False)
    default = forms.CharField(label=_("默认值"), required=False)
    min_value = forms.CharField(label=_("最小值"), required=False)
    max_value = forms.CharField(label=_("最大值"), required=False)
    scope = forms.CharField(label=_("适用服务目录"), required=False)

    def __init__(self, *args, instance: FieldDefinition | None = None, **kwargs):
        self.instance = instance
        if instance is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "key": instance.key,
                "type": instance.type,
                "required": "true" if instance.required else "false",
                "help_text": instance.help_text,
                "default": _default_text(instance.default),
                "min_value": _number_text(instance.min_value),
                "max_value": _number_text(instance.max_value),
            }
        super().__init__(*args, **kwargs)

    def option_list(self) -> list[str]:
        if self.is_bound:
            return list(self.data.getlist("options"))
        return list(self.instance.options) if self.instance else []

    def scope_ids(self) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist("scope"))
        if self.instance:
            return {str(e.pk) for e in self.instance.scope.all()}
        return {str(i) for i in self.initial.get("scope", [])}

    def service_data(self) -> dict:
        """The posted values in the shape the service takes (it validates them)."""
        data = self.data
        required = {"true": True, "false": False}.get(data.get("required", ""))
        ftype = data.get("type", "") if self.instance is None else self.instance.type
        default: object = (data.get("default") or "").strip() or None
        if default is not None and ftype == FieldType.MULTISELECT:
            default = [part.strip() for part in re.split(r"[,，、\n]", default) if part.strip()]
        payload = {
            "name": data.get("name", ""),
            "type": ftype,
            "required": required,
            "options": [o for o in data.getlist("options") if o.strip()],
            "help_text": data.get("help_text", ""),
            "default": default,
            "min_value": (data.get("min_value") or "").strip() or None,
            "max_value": (data.get("max_value") or "").strip() or None,
            "scope": data.getlist("scope"),
        }
        if self.instance is None:
            payload["key"] = (data.get("key") or "").strip() or None
        return payload


def _default_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _number_text(value) -> str:
    return "" if value is None else plain_number(value)


# --- the custom fields block of the filing form --------------------------------------------------


@dataclass
class FilingField:
    definition: FieldDefinition
    value: object = None
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return PREFIX + self.definition.key

    @property
    def input_id(self) -> str:
        return "id_cf_" + self.definition.key

    @property
    def values(self) -> list[str]:
        """The submitted value(s) as strings, for checked / selected states."""
        if isinstance(self.value, list):
            return [str(v) for v in self.value]
        return [] if self.value in (None, "") else [str(self.value)]

    @property
    def min_text(self) -> str:
        low = self.definition.min_value
        return "" if low is None else plain_number(low)

    @property
    def max_text(self) -> str:
        high = self.definition.max_value
        return "" if high is None else plain_number(high)

    @property
    def text(self) -> str:
        return self.values[0] if self.values else ""


def posted_values(post, files) -> dict:
    """Custom field values from a filing form: inputs named `custom_fields.<key>`. Empty inputs
    are left out (a missing required value is then reported by the service); a key posted
    several times (multiple choice) becomes a list; files come as lists under their key."""
    values: dict = {}
    for name in post:
        if not name.startswith(PREFIX):
            continue
        items = [v for v in post.getlist(name) if v.strip()]
        if items:
            values[name[len(PREFIX) :]] = items if len(items) > 1 else items[0]
    for name in files:
        if name.startswith(PREFIX):
            uploads = files.getlist(name)
            if uploads:
                values[name[len(PREFIX) :]] = uploads
    return values


def split_field_errors(exc: ServiceError) -> tuple[ServiceError, dict[str, list[str]]]:
    """(the error without its custom field messages, those messages by field key)."""
    field_errors = {
        key[len(PREFIX) :]: messages
        for key, messages in exc.errors.items()
        if key.startswith(PREFIX)
    }
    if not field_errors:
        return exc, {}
    rest = {k: v for k, v in exc.errors.items() if not k.startswith(PREFIX)}
    remaining = type(exc)(exc.detail, code=exc.code, errors=rest)
    if not rest:
        remaining.detail = ""
    return remaining, field_errors


def live_entry(entry_id) -> CatalogEntry | None:
    """A level-2 entry that can take tickets, or None."""
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        return None
    entry = CatalogEntry.objects.select_related("parent").filter(pk=pk).first()
    if entry is None or entry.parent_id is None or entry.is_retired or entry.parent.is_retired:
        return None
    return entry


def filing_fields(entry: CatalogEntry | None, values=None, errors=None) -> list[FilingField]:
    if entry is None:
        return []
    values, errors = values or {}, errors or {}
    rows = []
    for definition in fields_for_entry(entry):
        value = values.get(definition.key)
        if value is None and not values and definition.type != FieldType.ATTACHMENT:
            value = definition.default  # a fresh form starts from the defaults
        rows.append(FilingField(definition, value, errors.get(definition.key, [])))
    return rows


def filing_context(entry, values=None, errors=None) -> dict:
    rows = filing_fields(entry, values, errors)
    people = []
    if any(row.definition.type == FieldType.USER for row in rows):
        people = list(
            get_user_model()
            .objects.filter(is_active=True)
            .order_by("display_name", "username")
            .only("pk", "display_name", "username")[:USER_CHOICES_MAX]
        )
    return {
        "custom_field_rows": rows,
        "custom_field_people": people,
        "custom_field_entry": entry,
        "choice_types": CHOICE_TYPES,
    }
