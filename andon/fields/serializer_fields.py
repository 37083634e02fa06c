"""The `custom_fields` input of ticket API bodies."""

from __future__ import annotations

import json

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html


class CustomFieldsField(serializers.DictField):
    """Custom field values keyed by field key. JSON bodies send an object; multipart bodies send
    `custom_fields.<key>` parts (repeated for multiple choice; files for attachment fields) or
    one `custom_fields` part holding a JSON object. Values are checked by the ticket service
    against the catalog entry's field templates."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "values keyed by field key (see GET /api/v1/catalog/{id}/fields/); multipart: "
            "`custom_fields.<key>` parts, files for attachment fields",
        )
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if not html.is_html_input(dictionary):
            return dictionary.get(self.field_name, empty)
        values: dict = {}
        raw = dictionary.get(self.field_name)
        if isinstance(raw, str) and raw.strip():
            try:
                values = json.loads(raw)
            except ValueError:
                return raw  # not an object: refused by to_internal_value
        parsed = html.parse_html_dict(dictionary, prefix=self.field_name)
        if not values and not parsed and raw is None:
            return empty
        if isinstance(values, dict):
            for key, items in parsed.lists():
                values[key] = items if len(items) > 1 or _has_files(items) else items[0]
        return values

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        return {str(key): value for key, value in data.items()}


def _has_files(items) -> bool:
    return any(hasattr(item, "read") for item in items)
