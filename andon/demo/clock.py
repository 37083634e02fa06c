"""Set-up rows in the past: the demo company was set up well before its ticket history starts.

The set-up services (people, queues, catalog, calendars, policies, knowledge, customers) stamp
their rows with the real clock, many through `auto_now_add` fields that take no value, and none of
them derives anything else from the moment. So the builder calls them as they are and then moves
every timestamp they wrote to the set-up moment (`backdate_since`). Ticket steps are different;
see `andon.demo.ticket_steps`.
"""

from __future__ import annotations

from datetime import date, datetime

from django.apps import apps
from django.db import models


def backdate_since(started: datetime, *, to: datetime) -> None:
    """Move every Andon timestamp written at or after `started` (the real clock when set-up began)
    to `to`. Demo loading only: it runs in the loading transaction on a database that held no data
    of its own, so every such row is the demo's."""
    for config in apps.get_app_configs():
        if not config.name.startswith("andon."):
            continue
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.DateTimeField):
                    model.objects.filter(**{f"{field.attname}__gte": started}).update(
                        **{field.attname: to}
                    )


def is_workday(day: date) -> bool:
    try:
        import chinese_calendar

        return chinese_calendar.is_workday(day)
    except (ImportError, NotImplementedError):
        return day.weekday() < 5
