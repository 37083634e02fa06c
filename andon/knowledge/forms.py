"""Knowledge base forms: they only collect input; the rules live in `knowledge.services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from andon.knowledge.models import ArticleStatus, Category, Visibility


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(
        label=_("正文（Markdown）"), required=False, widget=forms.Textarea(attrs={"rows": 16})
    )
    category = forms.ModelChoiceField(
        label=_("分类"), queryset=Category.objects.all(), required=False, empty_label=_("不分类")
    )
    tags = forms.CharField(
        label=_("标签"), required=False, help_text=_("用逗号分隔，最多 10 个"), max_length=400
    )
    visibility = forms.ChoiceField(label=_("可见范围"), choices=Visibility.choices)
    status = forms.ChoiceField(label=_("状态"), choices=ArticleStatus.choices)
    note = forms.CharField(label=_("修改说明"), required=False, max_length=200)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    tag = forms.CharField(required=False, max_length=30)


class AskForm(forms.Form):
    question = forms.CharField(max_length=500)
    public = forms.BooleanField(required=False)
