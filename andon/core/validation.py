"""Input checks shared by every app's services.

One-line text (titles, names, subjects) must not carry control characters: a CR/LF in a ticket
title would end up in every e-mail subject and HTTP header about that ticket.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from andon.core.errors import ValidationFailed

# C0 and C1 control characters (tab, CR and LF included) and the Unicode line/paragraph
# separators, which mail clients and browsers also break lines on.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value or ""))


def single_line(value: str, field: str, *, label: str = "") -> str:
    """`value` unchanged, or ValidationFailed naming the field when it holds control characters."""
    if isinstance(value, str) and has_control_characters(value):
        message = _("%s不能包含换行或控制字符") % (label or field)
        raise ValidationFailed(message, errors={field: [message]})
    return value


def line_error(value, label: str) -> str | None:
    """The message for a one-line `value` that holds control characters, else None (for
    services that collect errors per field)."""
    if isinstance(value, str) and has_control_characters(value):
        return _("%s不能包含换行或控制字符") % label
    return None


def one_line(value: str) -> str:
    """For output that must be one line whatever is stored (mail subjects, headers): control
    characters become spaces."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())


# Primary keys are 64-bit; anything larger would overflow the database driver (a 500), so ids
# outside this range are rejected as bad input first.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A positive 64-bit id from a URL segment or query value; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None
