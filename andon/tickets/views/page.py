"""The ticket page: its workspace (details, timeline, files, OLA) and its action buttons, which
are the workflow table's actions this person may take now (`workflow.available_actions`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from andon.csat import selectors as csat_selectors
from andon.fields.display import custom_field_rows
from andon.followup import selectors as followup_selectors
from andon.ola import selectors as ola_selectors
from andon.tickets import policies, workflow
from andon.tickets.forms import CommentForm
from andon.tickets.models import Attachment, EventKind, Ticket
from andon.tickets.selectors import (
    children_states,
    get_visible_ticket,
    ticket_attachments,
    ticket_comments,
    ticket_events,
    ticket_links,
    transfer_choices,
)
from andon.tickets.views.people import edit_context, people_context

# What the link form offers, in its order.
LINK_RELATIONS = (
    ("related", gettext_lazy("相关")),
    ("parent", gettext_lazy("父工单（本单是它的子工单）")),
    ("child", gettext_lazy("子工单（它是本单的子工单）")),
    ("duplicate_of", gettext_lazy("本单重复于")),
)

# The buttons in zone (4), in the order they are shown. Comments and files have their own zones.
BUTTONS = (
    "claim",
    "take-over",
    "resolve",
    "need-info",
    "transfer",
    "resume",
    "confirm",
    "reopen",
    "urge",
    "cancel",
    "close",
)
# A ticket handed to this person is accepted with the claim action, under its own button.
ACCEPT = "accept"
PAGE_ACTIONS = {ACCEPT: "claim"}


@dataclass
class ActionSpec:
    """One button in zone (4). Actions with a `field` open a small form; the others post at once.
    The workflow table gives the name, label and input; the page adds only its looks."""

    name: str
    label: str
    icon: str
    style: str = "btn-outline-secondary"
    field: str | None = None  # the note's name as the service calls it
    field_label: str = ""
    required: bool = False
    placeholder: str = ""
    submit: str = ""


def _looks() -> dict[str, tuple[str, str, str, str]]:
    """icon, button style, placeholder and submit text of each button (translated per request)."""
    return {
        "claim": ("hand-grab", "btn-primary", "", _("认领")),
        ACCEPT: ("hand-grab", "btn-primary", "", _("接单，开始处理")),
        "take-over": (
            "user-check",
            "btn-outline-primary",
            _("可选：接手的原因，原处理人会收到通知"),
            _("确认接手"),
        ),
        "resolve": (
            "circle-check",
            "btn-success",
            _("原因与处理办法，会展示给提单人"),
            _("提交解决方案"),
        ),
        "need-info": (
            "help-circle",
            "btn-outline-purple",
            _("请提单人补充哪些信息？等待期间 OLA 计时暂停"),
            _("发送给提单人"),
        ),
        "transfer": ("arrows-exchange", "btn-outline-secondary", "", _("转单")),
        "resume": ("player-play", "btn-primary", _("补充说明（可选）"), _("补充完成，继续处理")),
        "confirm": ("check", "btn-success", _("可选"), _("确认问题已解决")),
        "reopen": ("rotate", "btn-outline-warning", _("问题仍然存在的现象"), _("重新打开")),
        "urge": (
            "speakerphone",
            "btn-outline-orange",
            _("可选，例如影响的人数或截止时间"),
            _("催一下"),
        ),
        "cancel": ("ban", "btn-outline-danger", _("可选"), _("取消工单")),
        "close": ("lock", "btn-outline-secondary", _("可选"), _("关闭工单")),
    }


def action_spec(name: str) -> ActionSpec:
    step = workflow.get(PAGE_ACTIONS.get(name, name))
    icon, style, placeholder, submit = _looks()[name]
    note = step.inputs[0] if step.form == "note" else None
    return ActionSpec(
        name=name,
        label=_("接单") if name == ACCEPT else str(step.label),
        icon=icon,
        style=style,
        field=note.argument if note else None,
        field_label=str(note.label) if note else "",
        required=bool(note and note.required),
        placeholder=placeholder,
        submit=submit,
    )


def page_actions(user, ticket: Ticket) -> list[str]:
    """The buttons `user` gets on `ticket`: the workflow's available actions, in page order."""
    available = set(workflow.available_actions(user, ticket, workflow.WEB))
    names = []
    for name in BUTTONS:
        if name in available:
            accepting = name == "claim" and ticket.assignee_id is not None
            names.append(ACCEPT if accepting else name)
    return names


def _timeline(user, ticket: Ticket, attachments: dict[int, Attachment]) -> list[dict]:
    comments = {comment.pk: comment for comment in ticket_comments(user, ticket)}
    entries = []
    for event in ticket_events(user, ticket):
        entry = {"event": event, "comment": None, "attachment": None}
        if event.kind == EventKind.MERGED:
            # Comments moved in by a merge keep no event of their own here: shown with it.
            entry["merged_comments"] = [
                comments[pk] for pk in event.after.get("comments", []) if pk in comments
            ]
        elif event.kind == EventKind.COMMENTED:
            entry["comment"] = comments.get(event.after.get("comment"))
            if entry["comment"] is None:
                continue
        elif event.kind == EventKind.ATTACHED:
            entry["attachment"] = attachments.get(event.after.get("attachment"))
        entries.append(entry)
    return entries


def workspace_context(
    request, ticket: Ticket, *, forms: dict | None = None, flash: str = ""
) -> dict:
    user = request.user
    names = page_actions(user, ticket)
    forms = forms or {}
    attachments = list(ticket_attachments(user, ticket))
    by_id = {a.pk: a for a in attachments}
    staff_side = policies.is_staff_side(user, ticket)
    links = ticket_links(user, ticket)
    return {
        "links": links,
        "children": children_states(links),
        "link_relations": LINK_RELATIONS,
        "can_link": ticket.status not in ("closed", "cancelled")
        and policies.is_handling_side(user, ticket),
        "can_merge": ticket.status not in ("closed", "cancelled")
        and policies.is_handling_side(user, ticket),
        **follow_up_context(user, ticket),
        "ticket": ticket,
        "actions": [{"spec": action_spec(name), "form": forms.get(name)} for name in names],
        "open_action": next((name for name in forms if name in names), ""),
        "transfer_choices": transfer_choices() if "transfer" in names else [],
        "timeline": _timeline(user, ticket, by_id),
        "attachments": [a for a in attachments if a.comment_id is None],
        "can_comment": workflow.allows("comment", user, ticket),
        "can_internal": staff_side,
        "comment_form": forms.get("comment") or CommentForm(),
        "is_assignee": policies.is_assignee(user, ticket),
        "is_requester": policies.is_requester(user, ticket),
        "custom_fields": custom_field_rows(ticket.custom_fields, by_id),
        "flash": flash,
        "ola": ola_selectors.ticket_ola(ticket),
        # Collaborators, watching and copies; the edit form (andon.tickets.views.people).
        **people_context(user, ticket),
        **(edit_context(user, ticket) if workflow.allows("edit", user, ticket) else {}),
        "can_edit": workflow.allows("edit", user, ticket),
    }


def follow_up_context(user, ticket: Ticket) -> dict:
    """What follows a resolution: the auto-confirm / auto-close countdown and the rating."""
    return {
        "follow_up": followup_selectors.countdown(ticket),
        "csat": csat_selectors.rating_panel(user, ticket),
        "csat_scale": csat_selectors.SCALE,
    }


@login_required
@require_GET
def ticket_detail(request, pk: int):
    ticket = get_visible_ticket(request.user, pk)
    return render(request, "tickets/detail.html", workspace_context(request, ticket))
