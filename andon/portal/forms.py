"""Portal forms: input only. Custom fields are rendered from the entry's field templates and
validated by the fields app (through the portal service)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from andon.core.errors import ServiceError
from andon.tickets.forms import MultipleFileField, MultipleFileInput
from andon.tickets.models import Priority


class MagicLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )


# Field types the portal form renders; the others (people pickers, uploads) are desk-only here.
_WIDGETS = {
    "text": "text",
    "textarea": "textarea",
    "number": "number",
    "date": "date",
    "datetime": "datetime-local",
    "select": "select",
    "multiselect": "multiselect",
    "boolean": "checkbox",
}


class PortalTicketForm(forms.Form):
    catalog_entry = forms.CharField(label=_("服务目录"), required=False)
    title = forms.CharField(label=_("标题"), required=False, strip=False)
    priority = forms.ChoiceField(
        label=_("优先级"), choices=Priority.choices, initial=Priority.L3, required=False
    )
    description = forms.CharField(label=_("描述"), required=False, strip=False)
    attachments = MultipleFileField(label=_("附件"), widget=MultipleFileInput())

    def __init__(self, *args, custom=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = []
        for field in custom:
            widget = _WIDGETS.get(field.type)
            if widget is None:
                continue
            name = f"cf_{field.key}"
            if widget == "multiselect":
                value = self.data.getlist(name) if self.is_bound else []
            elif widget == "checkbox":
                value = bool(self.data.get(name)) if self.is_bound else False
            else:
                value = self.data.get(name, "") if self.is_bound else ""
            self.custom_fields.append(
                {"definition": field, "name": name, "widget": widget, "value": value, "errors": []}
            )

    def custom_values(self) -> dict:
        values = {}
        for item in self.custom_fields:
            value = item["value"]
            if value in ("", [], None):
                continue
            values[item["definition"].key] = value
        return values

    def apply_errors(self, error: ServiceError) -> None:
        by_key = {f"custom_fields.{item['definition'].key}": item for item in self.custom_fields}
        unplaced = not error.errors
        for field, messages in (error.errors or {}).items():
            if field in by_key:
                by_key[field]["errors"].extend(messages)
            elif field in self.fields:
                for message in messages:
                    self.add_error(field, message)
            else:
                unplaced = True
        if unplaced:
            self.add_error(None, error.detail)
