"""The ticket workflow: one table of what may be done to a ticket, from which status, by whom, and
what it becomes. The services enforce it (`check`), and every surface that offers actions — the
ticket page, the API's `actions` list and action endpoints, the portal, WeCom card buttons —
asks `available_actions`, so a button is shown exactly when the service would accept it.

Only the rules that depend on the ticket and the person live here. Rules about the request's
content (a transfer's target, an internal comment's author, the urge interval) stay in the
services, which check them after `check`.

`check` raises what the services always raised: `PermissionDenied` (403) when the action is never
this person's, `Conflict` (409) when the ticket's status (or its assignee, for a claim) does not
allow it now — the same message on every surface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from andon.core.errors import Conflict, PermissionDenied, ServiceError
from andon.tickets import policies
from andon.tickets.models import (
    OPEN_STATUSES,
    UNFINISHED_STATUSES,
    EventKind,
    Status,
    Ticket,
)

WORKING = (Status.PENDING, Status.PROCESSING)
# Comments and files are taken until the ticket is closed or cancelled.
ANNOTATABLE = (*UNFINISHED_STATUSES, Status.DONE)

# Where an action may be offered. `web` is the ticket page, `api` the detail's `actions` list and
# the action endpoints, `portal` the requester portal, `card` WeCom card buttons.
WEB, API, PORTAL, CARD = "web", "api", "portal", "card"


@dataclass(frozen=True)
class Input:
    """One value an action takes from the person: its request field and the service keyword."""

    name: str
    label: object = ""
    required: bool = False
    kind: str = "text"  # text | id | bool | files
    keyword: str = ""  # the service's keyword when it differs from `name`
    max_length: int | None = None

    @property
    def argument(self) -> str:
        return self.keyword or self.name


@dataclass(frozen=True)
class Action:
    name: str  # URL segment and API name
    label: object  # the button
    verb: object  # completes "不能…" in the status refusal
    permitted: Callable[[object, Ticket], bool]
    denied: object  # lazy text, or a function (user, ticket) -> text
    allowed_from: tuple[str, ...] | Callable[[object, Ticket], tuple[str, ...]]
    event: str
    service: str  # the function's name in `andon.tickets.services`
    to: str | None = None  # the resulting status; None leaves it as it is
    inputs: tuple[Input, ...] = ()
    form: str = ""  # the page's form: "" (a bare button), note, transfer, comment, edit, upload
    surfaces: frozenset = field(default_factory=lambda: frozenset({WEB, API, CARD}))
    # The action can answer the requester (see `counts_as_response`).
    responds: bool = False
    # A further rule on the ticket as it stands, checked after the status; returns the refusal.
    guard: Callable[[object, Ticket], ServiceError | None] | None = None

    def statuses(self, user, ticket: Ticket) -> tuple[str, ...]:
        allowed = self.allowed_from
        return tuple(allowed(user, ticket) if callable(allowed) else allowed)

    def denied_message(self, user, ticket: Ticket) -> str:
        message = self.denied(user, ticket) if callable(self.denied) else self.denied
        return str(message)

    def _failing_rule(self, user, ticket: Ticket) -> str | None:
        """The first of the person and status rules that refuses, or None."""
        if not getattr(user, "is_active", False):
            return "inactive"
        if not self.permitted(user, ticket):
            return "permission"
        if ticket.status not in self.statuses(user, ticket):
            return "status"
        return None

    def refusal(self, user, ticket: Ticket) -> ServiceError | None:
        """Why `user` may not take this action on `ticket` now, or None when they may."""
        rule = self._failing_rule(user, ticket)
        if rule == "inactive":
            return PermissionDenied(gettext("账号未登录或已停用"))
        if rule == "permission":
            return PermissionDenied(self.denied_message(user, ticket))
        if rule == "status":
            return Conflict(
                gettext("工单当前状态为「%(status)s」，不能%(action)s")
                % {"status": ticket.get_status_display(), "action": self.verb},
                code="invalid_transition",
            )
        if self.guard is not None:
            return self.guard(user, ticket)
        return None

    def allowed(self, user, ticket: Ticket) -> bool:
        """`refusal(...) is None`, without writing out the refusals' messages (the detail body
        asks this of every action)."""
        if self._failing_rule(user, ticket) is not None:
            return False
        return self.guard is None or self.guard(user, ticket) is None


def _claim_guard(user, ticket: Ticket) -> ServiceError | None:
    """A held ticket is its holder's; the person a ticket was handed to accepts it by claiming."""
    if ticket.assignee_id and not (
        ticket.assignee_id == user.pk and ticket.status == Status.PENDING
    ):
        return Conflict(gettext("工单已由 %s 处理") % ticket.assignee.name, code="already_claimed")
    return None


def _take_over_guard(user, ticket: Ticket) -> ServiceError | None:
    """Taking over needs a holder other than oneself; a ticket in the pool is simply claimed."""
    if ticket.assignee_id is None:
        return Conflict(gettext("工单还没有处理人，请直接认领"), code="not_assigned")
    if ticket.assignee_id == user.pk:
        return Conflict(gettext("你已经是当前处理人"), code="already_assignee")
    return None


def _urge_denied(user, ticket: Ticket) -> str:
    if policies.is_assignee(user, ticket):
        return gettext("当前处理人不能催自己的工单")
    return gettext("没有催单的权限")


def _closable(user, ticket: Ticket) -> tuple[str, ...]:
    """Managers close anything still alive; the requester and the assignee close what is done."""
    if policies.is_manager(user):
        return (*UNFINISHED_STATUSES, Status.DONE)
    return (Status.DONE,)


NOTE = Input("note", _("说明"))

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "edit",
            _("修改"),
            _("修改"),
            policies.may_edit,
            _("没有修改此工单的权限"),
            policies.editable_statuses,
            EventKind.UPDATED,
            "update_ticket",
            inputs=(
                Input("title", _("标题")),
                Input("description", _("描述")),
                Input("priority", _("优先级")),
                Input("custom_fields", _("自定义字段")),
            ),
            form="edit",
            surfaces=frozenset({API}),
        ),
        Action(
            "claim",
            _("认领"),
            _("认领"),
            policies.can_claim,
            _("只有该队列的成员可以认领"),
            OPEN_STATUSES,
            EventKind.CLAIMED,
            "claim_ticket",
            to=Status.PROCESSING,
            responds=True,
            guard=_claim_guard,
        ),
        Action(
            "take-over",
            _("接手"),
            _("接手"),
            policies.can_take_over,
            _("只有该队列的成员、有处理权限的协作人或工单管理员可以接手"),
            OPEN_STATUSES,
            EventKind.TAKEN_OVER,
            "take_over_ticket",
            # A ticket still waiting for its holder to accept starts processing; one waiting on
            # the requester keeps waiting (its clocks stay paused).
            to=None,
            inputs=(Input("note", _("接手说明"), max_length=500),),
            form="note",
            responds=True,
            guard=_take_over_guard,
        ),
        Action(
            "urge",
            _("催单"),
            _("催单"),
            policies.can_urge,
            _urge_denied,
            OPEN_STATUSES,
            EventKind.URGED,
            "urge_ticket",
            inputs=(Input("note", _("催单说明"), max_length=500),),
            form="note",
            surfaces=frozenset({WEB, API, PORTAL, CARD}),
        ),
        Action(
            "comment",
            _("评论"),
            _("评论"),
            policies.can_comment,
            _("没有评论此工单的权限"),
            ANNOTATABLE,
            EventKind.COMMENTED,
            "add_comment",
            inputs=(
                Input("body", _("评论内容")),
                Input("is_internal", _("内部评论"), kind="bool"),
                Input("attachments", _("附件"), kind="files"),
            ),
            form="comment",
            surfaces=frozenset({WEB, API, PORTAL}),
            responds=True,  # only when public and from the handling side
        ),
        Action(
            "transfer",
            _("转单"),
            _("转单"),
            policies.can_work,
            _("只有当前处理人可以转单"),
            OPEN_STATUSES,
            EventKind.TRANSFERRED,
            "transfer_ticket",
            to=Status.PENDING,
            inputs=(
                Input("queue", _("转给队列"), kind="id", keyword="queue_id"),
                Input("assignee", _("转给处理人"), kind="id", keyword="assignee_id"),
                Input("note", _("转单说明")),
            ),
            form="transfer",
        ),
        Action(
            "reassign",
            _("改派"),
            _("改派"),
            lambda user, ticket: policies.is_manager(user),
            _("只有工单管理员可以改派工单"),
            UNFINISHED_STATUSES,
            EventKind.TRANSFERRED,
            "reassign_ticket",
            inputs=(Input("to_user", _("接手人"), required=True, kind="id"), NOTE),
            form="reassign",
            # Offered by the handover pages, which move many tickets at once.
            surfaces=frozenset(),
        ),
        Action(
            "need-info",
            _("要求补充"),
            _("要求补充信息"),
            policies.can_work,
            _("只有当前处理人可以要求补充信息"),
            WORKING,
            EventKind.NEED_INFO,
            "request_info",
            to=Status.NEED_INFO,
            inputs=(Input("note", _("需要补充的内容"), required=True),),
            form="note",
            responds=True,
        ),
        Action(
            "resume",
            _("补充完成"),
            _("恢复处理"),
            policies.can_resume,
            _("只有提单人或处理人可以恢复处理"),
            (Status.NEED_INFO,),
            EventKind.RESUMED,
            "resume_ticket",
            to=Status.PROCESSING,
            inputs=(Input("note", _("补充的信息")),),
            form="note",
            surfaces=frozenset({WEB, API, PORTAL, CARD}),
        ),
        Action(
            "resolve",
            _("解决"),
            _("解决"),
            policies.can_work,
            _("只有当前处理人可以解决工单"),
            WORKING,
            EventKind.RESOLVED,
            "resolve_ticket",
            to=Status.TO_CONFIRM,
            inputs=(Input("resolution", _("解决方案"), required=True),),
            form="note",
            responds=True,
        ),
        Action(
            "confirm",
            _("确认完成"),
            _("确认完成"),
            policies.can_confirm,
            _("只有提单人可以确认完成"),
            (Status.TO_CONFIRM,),
            EventKind.CONFIRMED,
            "confirm_ticket",
            to=Status.DONE,
            inputs=(Input("note", _("评价或说明")),),
            form="note",
            surfaces=frozenset({WEB, API, PORTAL, CARD}),
        ),
        Action(
            "reopen",
            _("重新打开"),
            _("重新打开"),
            policies.can_reopen,
            _("只有提单人或处理人可以重新打开"),
            (Status.TO_CONFIRM, Status.DONE),
            EventKind.REOPENED,
            "reopen_ticket",
            to=Status.PROCESSING,
            inputs=(Input("reason", _("重新打开的原因"), required=True),),
            form="note",
            surfaces=frozenset({WEB, API, PORTAL, CARD}),
        ),
        Action(
            "close",
            _("关闭"),
            _("关闭"),
            policies.may_close,
            _("没有关闭此工单的权限"),
            _closable,
            EventKind.CLOSED,
            "close_ticket",
            to=Status.CLOSED,
            inputs=(Input("note", _("关闭说明")),),
            form="note",
        ),
        Action(
            "cancel",
            _("取消工单"),
            _("取消"),
            policies.can_cancel,
            _("只有提单人可以取消工单"),
            OPEN_STATUSES,
            EventKind.CANCELLED,
            "cancel_ticket",
            to=Status.CANCELLED,
            inputs=(Input("reason", _("取消原因")),),
            form="note",
            surfaces=frozenset({WEB, API, PORTAL, CARD}),
        ),
        Action(
            "attach",
            _("上传附件"),
            _("上传附件"),
            policies.can_comment,
            _("没有上传附件的权限"),
            ANNOTATABLE,
            EventKind.ATTACHED,
            "add_attachment",
            inputs=(Input("attachments", _("附件"), required=True, kind="files"),),
            form="upload",
            surfaces=frozenset({WEB}),
        ),
    )
}


def get(name: str) -> Action:
    return ACTIONS[name]


def check(name: str, user, ticket: Ticket) -> None:
    """Raise the refusal when `user` may not take action `name` on `ticket` now."""
    refusal = ACTIONS[name].refusal(user, ticket)
    if refusal is not None:
        raise refusal


def allows(name: str, user, ticket: Ticket) -> bool:
    return ACTIONS[name].allowed(user, ticket)


def names(surface: str | None = None) -> tuple[str, ...]:
    """The actions a surface offers, in the table's order (all of them without a surface)."""
    return tuple(a.name for a in ACTIONS.values() if surface is None or surface in a.surfaces)


def available_actions(user, ticket: Ticket, surface: str | None = None) -> list[str]:
    """The actions `user` may take on `ticket` now, in the table's order; with `surface`, only
    those that surface offers. Exactly the ones whose service call would pass `check`."""
    return [name for name in names(surface) if ACTIONS[name].allowed(user, ticket)]


def counts_as_response(name: str, user, ticket: Ticket, *, internal: bool = False) -> bool:
    """Response (响应), defined once: a handling-side action the requester can see — a claim or a
    take-over, a request for information, a resolution, or a public comment — by anyone but the
    requester (a requester who claims their own ticket as its handler does respond). Internal
    comments never count. The services stamp `Ticket.first_response_at` with the first one
    (`services.common._mark_responded`), OLA meets each queue's response timer with the next one
    (`is_response_event`), and the reports read `first_response_at`."""
    action = ACTIONS.get(name)
    if action is None or not action.responds or (name == "comment" and internal):
        return False
    if name in ("claim", "take-over"):
        return True
    if policies.is_requester(user, ticket):
        return False
    return name != "comment" or policies.is_handling_side(user, ticket)


# The event each responding action records, for reading the rule back from the log.
_RESPONSE_EVENTS = {a.event: a.name for a in ACTIONS.values() if a.responds}


def is_response_event(event, ticket: Ticket) -> bool:
    """`counts_as_response` for a recorded event (its actor is loaded with it)."""
    name = _RESPONSE_EVENTS.get(event.kind)
    if name is None or event.actor_id is None:
        return False
    internal = bool((event.after or {}).get("internal"))
    return counts_as_response(name, event.actor, ticket, internal=internal)
