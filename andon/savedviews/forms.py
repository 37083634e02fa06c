"""Cleaning a saved view's input (the web form and the API serializer share it): its filters go
through the ticket list's own `TicketFilter`, so a view can hold exactly what the list accepts."""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from andon.savedviews.models import NAME_MAX
from andon.savedviews.ordering import DEFAULT_SORT, SORTS
from andon.tickets.filters import TicketFilter
from andon.tickets.forms import OPEN_FILTER
from andon.tickets.models import Ticket

COLUMNS = {
    "number": _("编号"),
    "title": _("标题"),
    "priority": _("优先级"),
    "status": _("状态"),
    "queue": _("队列"),
    "assignee": _("当前处理人"),
    "requester": _("提单人"),
    "catalog_entry": _("服务目录"),
    "channel": _("渠道"),
    "created_at": _("提交时间"),
    "updated_at": _("更新时间"),
}
DEFAULT_COLUMNS = ["number", "title", "priority", "status", "queue", "assignee", "updated_at"]
REQUIRED_COLUMNS = ("number", "title")
FILTER_KEYS = ("q", "status", "priority", "channel", "queue", "assignee", "requester")
FILTER_KEYS += ("catalog_entry",)
TABS = ("assigned", "pool", "created", "all")
MAX_FILTERS = 20


def clean_columns(values) -> list[str]:
    values = [str(v) for v in values or []]
    bad = [v for v in values if v not in COLUMNS]
    if bad:
        raise forms.ValidationError(
            gettext("不支持的列：%(bad)s；可选：%(valid)s")
            % {"bad": ", ".join(bad), "valid": ", ".join(COLUMNS)}
        )
    chosen = list(dict.fromkeys(values)) or list(DEFAULT_COLUMNS)
    # The number and title carry the link to the ticket: always shown, always first.
    return [*REQUIRED_COLUMNS, *(c for c in chosen if c not in REQUIRED_COLUMNS)]


def clean_filters(raw) -> dict[str, str]:
    """Filter values as the list's query string would carry them, checked by TicketFilter."""
    if not isinstance(raw, dict):
        raise forms.ValidationError(gettext("筛选条件应为对象"))
    if len(raw) > MAX_FILTERS:
        raise forms.ValidationError(gettext("筛选条件过多"))
    cleaned = {}
    for key, value in raw.items():
        key = str(key)
        if key not in FILTER_KEYS and not key.startswith("cf_"):
            raise forms.ValidationError(gettext("不支持的筛选条件：%(key)s") % {"key": key[:40]})
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise forms.ValidationError(gettext("筛选条件 %(key)s 的取值无效") % {"key": key})
        value = str(value).strip()
        if value:
            cleaned[key] = value
    data = dict(cleaned)
    if data.get("status") == OPEN_FILTER:
        data.pop("status")
    query = QueryDict(mutable=True)
    query.update(data)
    filterset = TicketFilter(data=query, queryset=Ticket.objects.none())
    if not filterset.form.is_valid():
        messages = [
            f"{name}: {error}" for name, errors in filterset.form.errors.items() for error in errors
        ]
        raise forms.ValidationError("; ".join(messages))
    return cleaned


class SavedViewForm(forms.Form):
    """The save-view dialog on the list page. Filters come from the list's current query."""

    name = forms.CharField(label=_("名称"), max_length=NAME_MAX)
    shared = forms.BooleanField(label=_("共享给所有人"), required=False)
    make_default = forms.BooleanField(label=_("设为我的默认视图"), required=False)
    tab = forms.ChoiceField(choices=[(t, t) for t in TABS], initial="all")
    sort = forms.ChoiceField(
        label=_("排序"), choices=[(k, s.label) for k, s in SORTS.items()], initial=DEFAULT_SORT
    )
    columns = forms.MultipleChoiceField(
        label=_("显示的列"), choices=list(COLUMNS.items()), required=False
    )

    def __init__(self, *args, filters_source=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters_source = filters_source or {}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext("请填写名称"))
        return name

    def clean_columns(self):
        return clean_columns(self.cleaned_data.get("columns"))

    def clean(self):
        cleaned = super().clean()
        source = self.filters_source
        raw = {
            key: source.get(key, "")
            for key in source
            if key in FILTER_KEYS or str(key).startswith("cf_")
        }
        try:
            cleaned["filters"] = clean_filters(raw)
        except forms.ValidationError as error:
            self.add_error(None, error)
        return cleaned
