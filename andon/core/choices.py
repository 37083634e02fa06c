"""Display labels of choice values, looked up from a table made once per language.

Django's `get_FOO_display()` builds a dict of every choice on each call, hashing each lazy label
(which translates it): for an enum of twenty kinds that is twenty translations to show one. The
ticket detail body and the notification writer show labels on every write; they ask here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language

_tables: dict[tuple[type, str | None], dict[str, str]] = {}


def label(choices: type[models.Choices], value) -> str:
    """What `get_FOO_display()` answers for `value` of a field with these `choices`, in the
    active language (the value itself when it is not one of them, as Django does)."""
    key = (choices, get_language())
    table = _tables.get(key)
    if table is None:
        table = _tables[key] = {v: str(text) for v, text in choices.choices}
    return table.get(value, value)
