"""The audit page (审计日志): who changed which configuration when, field by field."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from andon.accounts.permissions import has_perm
from andon.audit import selectors
from andon.audit.labels import action_label, object_type_label
from andon.audit.models import AuditEntry

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("操作人"), required=False, coerce=int, empty_value=None)
    object_type = forms.ChoiceField(label=_("对象"), required=False)
    action = forms.ChoiceField(label=_("操作"), required=False)
    since = forms.DateField(
        label=_("从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("到"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actor_ids = AuditEntry.objects.exclude(actor=None).values("actor_id").distinct()
        people = get_user_model().objects.filter(pk__in=actor_ids).order_by("id")
        self.fields["actor"].choices = [("", _("所有人"))] + [(u.pk, u.name) for u in people]
        self.fields["object_type"].choices = [("", _("全部对象"))] + [
            (t, object_type_label(t)) for t in selectors.object_types()
        ]
        self.fields["action"].choices = [("", _("全部操作"))] + [
            (a, action_label(a)) for a in selectors.actions()
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("结束日期不能早于开始日期"))
        return data


def _show(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list):
        return "、".join(_show(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@login_required
def audit_list(request):
    if not has_perm(request.user, "roles.manage"):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_entries(
        actor_id=filters.get("actor"),
        object_type=filters.get("object_type", ""),
        action=filters.get("action", ""),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.action_label = action_label(entry.action)
        entry.type_label = object_type_label(entry.object_type)
        entry.rows = [
            (field, _show(pair[0]), _show(pair[1]))
            if isinstance(pair, list | tuple) and len(pair) == 2
            else (field, "", _show(pair))
            for field, pair in (entry.changes or {}).items()
        ]
    return render(request, "config/audit/list.html", {"form": form, "page": page})
