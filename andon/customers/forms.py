"""Sidebar and handover forms: input only; the services hold the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from andon.tickets.models import Priority


class SidebarTicketForm(forms.Form):
    catalog_parent = forms.CharField(label=_("一级服务目录"), required=False)
    catalog_entry = forms.CharField(label=_("二级服务目录"), required=False)
    title = forms.CharField(label=_("标题"), required=False, strip=False)
    priority = forms.ChoiceField(
        label=_("优先级"), choices=Priority.choices, initial=Priority.L3, required=False
    )
    description = forms.CharField(label=_("描述"), required=False, strip=False)


class HandoverForm(forms.Form):
    from_user = forms.CharField(label=_("交出人（离职 / 转岗）"), required=False)
    to_user = forms.CharField(label=_("接手人"), required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
