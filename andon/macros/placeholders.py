"""Placeholders in canned replies: `{requester}`, `{ticket_number}` … replaced by the ticket's
values. Only the names below are replaced (a brace pair that names nothing stays as typed); no
attribute or index lookups exist, so a body cannot reach anything but these strings. Values are
escaped for Markdown, so a person's name shows as typed instead of turning into a link or
markup in the comment."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# The characters Python-Markdown accepts a backslash escape for and that start markup in a name;
# raw HTML needs none (the renderer escapes it).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]!>])")

NAMES = {
    "requester": _("提单人姓名"),
    "ticket_number": _("工单编号"),
    "ticket_title": _("工单标题"),
    "handler": _("当前处理人姓名"),
    "queue": _("队列名称"),
    "catalog": _("服务目录"),
    "me": _("我的姓名"),
}


def values_for(ticket, actor) -> dict[str, str]:
    return {
        "requester": ticket.requester.name if ticket.requester_id else "",
        "ticket_number": ticket.number,
        "ticket_title": ticket.title,
        "handler": ticket.assignee.name if ticket.assignee_id else "",
        "queue": ticket.queue.name if ticket.queue_id else "",
        "catalog": str(ticket.catalog_entry) if ticket.catalog_entry_id else "",
        "me": actor.name,
    }


def escape_markdown(value: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def render(body: str, values: dict[str, str]) -> str:
    def replace(match):
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return escape_markdown(values[name])

    return PLACEHOLDER.sub(replace, body or "")
