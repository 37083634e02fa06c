"""The report filters, read the same way by the page, the exports and the API: a date range (at
most MAX_DAYS days, local dates, both ends included) and optional queue, catalog entry, priority,
handler and channel. Choices are limited to what the person may report on."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from andon.catalog.models import CatalogEntry
from andon.core.api import IdFormField
from andon.core.errors import ValidationFailed
from andon.queues.models import Queue, QueueMembership
from andon.reports.scope import ReportFilters, default_range
from andon.tickets.models import Channel, Priority

User = get_user_model()

MAX_DAYS = 366
MAX_HOURS = 168
DEFAULT_HOURS = 4
FILTER_FIELDS = ("from", "to", "queue", "catalog_entry", "priority", "handler", "channel")


class ReportFilterForm(forms.Form):
    queue = IdFormField(required=False, label=_("队列"))
    catalog_entry = IdFormField(required=False, label=_("服务目录"))
    priority = forms.ChoiceField(
        required=False, choices=[("", _("全部优先级")), *Priority.choices], label=_("优先级")
    )
    handler = IdFormField(required=False, label=_("处理人"))
    channel = forms.ChoiceField(
        required=False, choices=[("", _("全部渠道")), *Channel.choices], label=_("渠道")
    )
    hours = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_HOURS, label=_("即将超时（小时内）")
    )

    def __init__(self, data=None, *, scope: set[int] | None, **kwargs):
        super().__init__(data, **kwargs)
        # "from" is a Python keyword, so the date fields are added by name.
        self.fields["from"] = forms.DateField(required=False, label=_("开始日期"))
        self.fields["to"] = forms.DateField(required=False, label=_("结束日期"))
        self.order_fields(["from", "to", *self.fields])
        self.scope = scope

    def queue_choices(self) -> list[Queue]:
        qs = Queue.objects.order_by("-is_enabled", "name", "id").only("id", "name", "is_enabled")
        if self.scope is not None:
            qs = qs.filter(pk__in=self.scope)
        return list(qs)

    def catalog_choices(self) -> list[CatalogEntry]:
        entries = list(
            CatalogEntry.objects.select_related("parent").order_by("parent_id", "order", "id")
        )
        entries.sort(key=lambda e: (e.parent_id or e.pk, e.parent_id is not None, e.order, e.pk))
        return entries

    def handler_queryset(self):
        members = QueueMembership.objects.all()
        if self.scope is not None:
            members = members.filter(queue_id__in=self.scope)
        return User.objects.filter(pk__in=members.values("user_id"))

    def handler_choices(self) -> list:
        return list(
            self.handler_queryset()
            .order_by("display_name", "username")
            .only("id", "username", "display_name", "first_name", "last_name")
        )

    def clean_queue(self):
        queue = self.cleaned_data.get("queue")
        if queue is None:
            return None
        if (self.scope is not None and queue not in self.scope) or not Queue.objects.filter(
            pk=queue
        ).exists():
            raise forms.ValidationError(_("队列不存在或不在你的报表范围内"))
        return queue

    def clean_catalog_entry(self):
        entry = self.cleaned_data.get("catalog_entry")
        if entry is None:
            return ()
        # A level-1 entry stands for all its level-2 entries.
        ids = tuple(
            CatalogEntry.objects.filter(Q(pk=entry) | Q(parent_id=entry)).values_list(
                "id", flat=True
            )
        )
        if not ids:
            raise forms.ValidationError(_("服务目录不存在"))
        return ids

    def clean_handler(self):
        handler = self.cleaned_data.get("handler")
        if handler is None:
            return None
        if not self.handler_queryset().filter(pk=handler).exists():
            raise forms.ValidationError(_("处理人不存在或不在你的报表范围内"))
        return handler

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if "from" in self.errors or "to" in self.errors:
            return data
        default_start, default_end = default_range()
        if start is None and end is None:
            start, end = default_start, default_end
        elif start is None:
            start = end - timedelta(days=29)
        elif end is None:
            within = 0 <= (default_end - start).days < MAX_DAYS
            end = default_end if within else start + timedelta(days=29)
        if start > end:
            self.add_error("to", _("结束日期不能早于开始日期"))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("to", _("日期范围最长 %(days)s 天") % {"days": MAX_DAYS})
        data["from"], data["to"] = start, end
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            start=data["from"],
            end=data["to"],
            queue=data.get("queue"),
            catalog_entries=data.get("catalog_entry") or (),
            priority=data.get("priority") or None,
            handler=data.get("handler"),
            channel=data.get("channel") or None,
        )

    @property
    def at_risk_hours(self) -> int:
        return (self.cleaned_data.get("hours") if self.is_bound else None) or DEFAULT_HOURS


def errors_of(form: forms.Form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def read_filters(params, *, scope) -> ReportFilterForm:
    """A validated form, or ValidationFailed (a 400 with per-field errors)."""
    form = ReportFilterForm(params, scope=scope)
    if not form.is_valid():
        errors = errors_of(form)
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors)
    return form
