"""The ticket list's tag filter (`?tag=3` or `?tag=3,7`: tickets with any of those tags), added
to `andon.tickets.filters.TicketFilter` so the API and the web list share it."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from andon.core.validation import parse_id
from andon.tags.models import TicketTag

TAG_FILTER_MAX = 20


class TagIdsField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return []
        raw = value if isinstance(value, list) else [value]
        parts = [p.strip() for item in raw for p in str(item).split(",") if p.strip()]
        ids = [parse_id(p) for p in parts]
        if any(pk is None for pk in ids):
            raise forms.ValidationError(_("标签应为 id，多个用逗号分隔"), code="invalid")
        if len(ids) > TAG_FILTER_MAX:
            raise forms.ValidationError(
                _("最多按 %(max)s 个标签筛选"), code="invalid", params={"max": TAG_FILTER_MAX}
            )
        return list(dict.fromkeys(ids))


class TagFilter(django_filters.Filter):
    field_class = TagIdsField

    def filter(self, qs, value):
        if not value:
            return qs
        # A subquery, so a ticket with two of the tags is still one row.
        return qs.filter(pk__in=TicketTag.objects.filter(tag_id__in=value).values("ticket_id"))
