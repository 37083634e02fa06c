"""Web forms. They only collect input: every rule lives in the services, whose errors are put
back on the form's fields (`apply_service_errors`) so the page shows them where they belong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from andon.catalog.models import CatalogEntry
from andon.core.errors import ServiceError
from andon.tickets.models import Priority, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


def apply_service_errors(
    form: forms.Form, error: ServiceError, aliases: dict | None = None
) -> None:
    """Put a service error's per-field messages on the form's fields; anything that has no field
    on this form is shown once, as the error's own sentence, above the form."""
    aliases = aliases or {}
    unplaced = not error.errors
    for field, messages in (error.errors or {}).items():
        name = aliases.get(field, field)
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
        else:
            unplaced = True
    if unplaced:
        form.add_error(None, error.detail)


def catalog_tree() -> list[dict]:
    """Level-1 entries with their level-2 children that can take new tickets, for the cascade."""
    entries = CatalogEntry.objects.filter(is_retired=False).select_related("queue")
    roots: dict[int, dict] = {}
    children: list[CatalogEntry] = []
    for entry in entries:
        if entry.parent_id is None:
            roots[entry.pk] = {"id": entry.pk, "name": entry.name, "children": []}
        else:
            children.append(entry)
    for entry in children:
        root = roots.get(entry.parent_id)
        if root is None:
            continue
        usable = entry.queue is not None and entry.queue.is_enabled
        root["children"].append(
            {
                "id": entry.pk,
                "name": entry.name,
                "description": entry.description,
                "usable": usable,
            }
        )
    return [root for root in roots.values() if root["children"]]


class TicketCreateForm(forms.Form):
    # Required-ness and limits are checked by create_ticket; the widgets only mirror them so the
    # browser can help before the round trip.
    catalog_parent = forms.CharField(
        label=_("一级服务目录"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    catalog_entry = forms.CharField(
        label=_("二级服务目录"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = forms.CharField(
        label=_("标题"),
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "maxlength": 200,
                "required": True,
                "autocomplete": "off",
                "placeholder": _("一句话说明问题，例如：会议室投影无法连接"),
            }
        ),
    )
    priority = forms.ChoiceField(
        label=_("优先级"),
        choices=Priority.choices,
        initial=Priority.L3,
        required=False,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("描述"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "class": "form-control",
                "rows": 6,
                "placeholder": _("现象、影响范围、已尝试的办法……支持 Markdown"),
            }
        ),
    )
    attachments = MultipleFileField(
        label=_("附件"),
        widget=MultipleFileInput(attrs={"class": "form-control"}),
    )


class ActionForm(forms.Form):
    """Free-text note shared by most actions (need-info, resolve, reopen, urge, cancel, close…)."""

    note = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    body = forms.CharField(label=_("评论内容"), required=False, strip=False, widget=forms.Textarea)
    is_internal = forms.BooleanField(label=_("内部评论"), required=False)
    attachments = MultipleFileField(label=_("附件"))


class TransferForm(forms.Form):
    queue = forms.CharField(label=_("转给队列"), required=False)
    assignee = forms.CharField(label=_("转给处理人"), required=False)
    note = forms.CharField(label=_("转单说明"), required=False, strip=False)


OPEN_FILTER = "open"


class TicketListFilterForm(forms.Form):
    """List filters. Bad values are dropped, never an error page."""

    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(required=False, choices=[("", _("全部优先级")), *Priority.choices])
    queue = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    catalog_entry = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args, queues=(), catalog_entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("全部状态")),
            (OPEN_FILTER, _("未完成")),
            *Status.choices,
        ]
        self.fields["queue"].choices = [("", _("全部队列")), *[(q.pk, q.name) for q in queues]]
        self.fields["catalog_entry"].choices = [
            ("", _("全部服务目录")),
            *[(e.pk, str(e) if e.parent_id else e.name) for e in catalog_entries],
        ]

    def cleaned_or_empty(self) -> dict:
        if self.is_valid():
            return self.cleaned_data
        return {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name not in self.errors
        }
