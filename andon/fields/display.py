"""Stored custom field values (ticket.custom_fields) turned into rows to show on a ticket page.

Values are shown with the template they were filed under, in the admin's order; a value whose
field was retired since is still shown (marked), and a key with no template at all is shown raw,
so editing a template never hides what a ticket holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from andon.fields.models import FieldDefinition, FieldType


@dataclass
class FieldRow:
    key: str
    label: str
    type: str
    text: str = ""
    attachments: list = field(default_factory=list)
    retired: bool = False


def _text(definition: FieldDefinition | None, value, users: dict) -> str:
    if value is None or value == "" or value == []:
        return ""
    kind = definition.type if definition else None
    if kind == FieldType.BOOLEAN:
        return _("是") if value is True else _("否") if value is False else str(value)
    if kind == FieldType.USER:
        user = users.get(value)
        return user.name if user else _("（已删除的用户 #%s）") % value
    if kind == FieldType.DATETIME and isinstance(value, str):
        from django.utils import timezone

        parsed = parse_datetime(value)
        if parsed is not None:
            return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def custom_field_rows(values: dict | None, attachments_by_id: dict | None = None) -> list[FieldRow]:
    values = values or {}
    if not values:
        return []
    attachments_by_id = attachments_by_id or {}
    stored = FieldDefinition.objects.filter(key__in=list(values)).order_by("order", "id")
    definitions = {f.key: f for f in stored}
    user_ids = [
        values[key]
        for key, f in definitions.items()
        if f.type == FieldType.USER and isinstance(values.get(key), int)
    ]
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    rows = []
    for key, definition in definitions.items():
        value = values[key]
        row = FieldRow(
            key=key, label=definition.name, type=definition.type, retired=not definition.is_active
        )
        if definition.type == FieldType.ATTACHMENT:
            ids = value if isinstance(value, list) else []
            row.attachments = [attachments_by_id[i] for i in ids if i in attachments_by_id]
        else:
            row.text = _text(definition, value, users)
        rows.append(row)
    for key in sorted(set(values) - set(definitions)):
        rows.append(FieldRow(key=key, label=key, type="", text=_text(None, values[key], {})))
    return rows
