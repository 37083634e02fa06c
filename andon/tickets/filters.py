"""The ticket list filters, shared by the API and the web UI:

    TicketFilter(data=request.GET, queryset=visible_tickets(user), request=request).qs

Every value is validated by a form field, so a bad value is a form error (a 400 in the API),
never an exception from the database."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from andon.catalog.models import CatalogEntry
from andon.core.api import IdFormField, parse_id
from andon.fields.filters import custom_field_filters
from andon.tags.filters import TagFilter
from andon.tickets.models import Channel, Priority, Status, Ticket, parse_number
from andon.tickets.selectors import search_filter
from andon.ticketsearch.search import match_condition

QUERY_MAX = 200


class MultiValueWidget(forms.TextInput):
    """Reads `?status=a,b` as well as `?status=a&status=b` into one list."""

    def value_from_datadict(self, data, files, name):
        raw = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [part.strip() for item in raw if item is not None for part in str(item).split(",")]
        values = [value for value in values if value]
        return values or None


class MultipleChoiceCSVField(forms.Field):
    widget = MultiValueWidget

    def __init__(self, *, choices, **kwargs):
        self.valid_values = [value for value, _label in choices]
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        if not value:
            return []
        bad = [item for item in value if item not in self.valid_values]
        if bad:
            raise forms.ValidationError(
                _("不支持的取值：%(bad)s；可选：%(valid)s"),
                code="invalid_choice",
                params={"bad": ", ".join(bad), "valid": ", ".join(self.valid_values)},
            )
        return list(dict.fromkeys(value))


class MultipleChoiceCSVFilter(django_filters.Filter):
    """Matches any of the given values; several values come comma-separated or repeated."""

    field_class = MultipleChoiceCSVField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class PersonField(forms.Field):
    """A user id, or one of the keywords the filter allows (`me`, `none`)."""

    def __init__(self, *, keywords=(), **kwargs):
        self.keywords = tuple(keywords)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        value = (value or "").strip()
        if not value:
            return None
        if value.lower() in self.keywords:
            return value.lower()
        pk = parse_id(value)
        if pk is None:
            raise forms.ValidationError(
                _("应为用户 id 或 %(keywords)s"),
                code="invalid",
                params={"keywords": " / ".join(self.keywords)},
            )
        return pk


class PersonFilter(django_filters.Filter):
    field_class = PersonField


class IdFilter(django_filters.Filter):
    field_class = IdFormField


def _documented(type_: str, description: str):
    """Schema for a filter whose form field drf-spectacular cannot read by itself."""
    return extend_schema_field({"type": type_, "description": description})


def _one_of(values) -> str:
    return "comma-separated (or repeated), any of: " + ", ".join(values)


class TicketFilter(django_filters.FilterSet):
    status = _documented("string", _one_of(Status.values))(
        MultipleChoiceCSVFilter(field_name="status", choices=Status.choices)
    )
    priority = _documented("string", _one_of(Priority.values))(
        MultipleChoiceCSVFilter(field_name="priority", choices=Priority.choices)
    )
    channel = _documented("string", _one_of(Channel.values))(
        MultipleChoiceCSVFilter(field_name="channel", choices=Channel.choices)
    )
    queue = _documented("integer", "queue id")(IdFilter(field_name="queue_id"))
    assignee = _documented("string", "user id, `me`, or `none` (unassigned: the queue's pool)")(
        PersonFilter(method="filter_assignee", keywords=("me", "none"))
    )
    requester = _documented("string", "user id or `me`")(
        PersonFilter(method="filter_requester", keywords=("me",))
    )
    catalog_entry = _documented(
        "integer", "a level-2 catalog entry id, or a level-1 id for every entry under it"
    )(IdFilter(method="filter_catalog_entry"))
    tag = _documented("string", "tag id(s), comma-separated (or repeated): tickets with any")(
        TagFilter(widget=MultiValueWidget)
    )
    q = _documented(
        "string",
        "the number (AD-12), or words (Chinese segmented) that must all occur in the title, "
        "description, comments the caller may read, resolution or text custom fields",
    )(django_filters.CharFilter(method="filter_q", max_length=QUERY_MAX))

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # `cf_<key>=value` filters by a custom field value (字段模板), checked against its type.
        self.filters.update(custom_field_filters(data))

    def _my_id(self) -> int | None:
        return getattr(getattr(self.request, "user", None), "pk", None)

    def filter_assignee(self, queryset: QuerySet, name, value) -> QuerySet:
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            me = self._my_id()
            return queryset.filter(assignee_id=me) if me else queryset.none()
        return queryset.filter(assignee_id=value)

    def filter_requester(self, queryset: QuerySet, name, value) -> QuerySet:
        if value == "me":
            me = self._my_id()
            return queryset.filter(requester_id=me) if me else queryset.none()
        return queryset.filter(requester_id=value)

    def filter_catalog_entry(self, queryset: QuerySet, name, value) -> QuerySet:
        # A subquery keeps it one statement: the entry itself or, for level 1, its children.
        entries = CatalogEntry.objects.filter(Q(pk=value) | Q(parent_id=value)).values("pk")
        return queryset.filter(catalog_entry_id__in=entries)

    def filter_q(self, queryset: QuerySet, name, value) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        condition = match_condition(user, value)
        if condition is None:  # no searchable word (punctuation only): a plain substring match
            return queryset.filter(search_filter(value))
        number = parse_number(value)
        if number is not None:
            condition |= Q(pk=number)
        return queryset.filter(condition)
