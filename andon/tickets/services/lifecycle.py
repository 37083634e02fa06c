"""Status changes: need-info, resume, resolve, confirm, reopen, close, cancel."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.tickets import events, policies
from andon.tickets.models import (
    OPEN_STATUSES,
    EventKind,
    Status,
    Ticket,
)
from andon.tickets.services.common import (
    BODY_MAX,
    _locked,
    _mark_responded,
    _require,
    _require_status,
    _text,
    _touch,
    _user_ref,
)


def _status_change(
    *,
    ticket_id,
    actor,
    allowed_from,
    to: str,
    kind: str,
    action: str,
    permitted,
    denied_message: str,
    note: str = "",
    note_required: bool = False,
    note_label: str = "",
    extra=None,
) -> Ticket:
    ticket = _locked(ticket_id, actor)
    _require(permitted(actor, ticket), denied_message)
    if callable(allowed_from):
        allowed_from = allowed_from(actor, ticket)
    _require_status(ticket, allowed_from, action)
    note = _text(
        note, "note", required=note_required, max_length=BODY_MAX, label=note_label or _("说明")
    )
    now = timezone.now()
    before = {"status": ticket.status}
    after = {"status": to}
    previous_assignee = ticket.assignee
    previous_stamps = {name: getattr(ticket, name) for name in ("resolved_at", "closed_at")}
    ticket.status = to
    fields = ["status"]
    if extra:
        fields += extra(ticket, now, note)
    for name, previous in previous_stamps.items():
        # A cleared time (a reopen clears resolved_at) stays in the log, and the reports
        # recompute the day it used to count on.
        if previous is not None and getattr(ticket, name) != previous:
            before[name] = previous.isoformat()
    if ticket.assignee_id != getattr(previous_assignee, "pk", None):
        before["assignee"] = _user_ref(previous_assignee)
        after["assignee"] = _user_ref(ticket.assignee)
    _touch(ticket, now, *fields)
    events.record_event(
        ticket=ticket, kind=kind, actor=actor, before=before, after=after, note=note, at=now
    )
    return ticket


@transaction.atomic
def request_info(*, ticket_id, actor, note: str) -> Ticket:
    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=(Status.PENDING, Status.PROCESSING),
        to=Status.NEED_INFO,
        kind=EventKind.NEED_INFO,
        action=_("要求补充信息"),
        permitted=policies.can_work,
        denied_message=_("只有当前处理人可以要求补充信息"),
        note=note,
        note_required=True,
        note_label=_("需要补充的内容"),
        extra=_take_and_respond(actor),
    )


def _take_and_respond(actor):
    """A manager acting on a pool ticket becomes its handler: a ticket waiting on the requester or
    on their confirmation always has someone to come back to."""

    def apply(ticket, now, _note):
        fields = _mark_responded(ticket, now)
        if ticket.assignee_id is None:
            ticket.assignee = actor
            fields.append("assignee")
        return fields

    return apply


@transaction.atomic
def resume_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=(Status.NEED_INFO,),
        to=Status.PROCESSING,
        kind=EventKind.RESUMED,
        action=_("恢复处理"),
        permitted=policies.can_resume,
        denied_message=_("只有提单人或处理人可以恢复处理"),
        note=note,
    )


@transaction.atomic
def resolve_ticket(*, ticket_id, actor, resolution: str) -> Ticket:
    take = _take_and_respond(actor)

    def apply(ticket, now, note):
        ticket.resolved_at = now
        ticket.resolution = note
        return ["resolved_at", "resolution", *take(ticket, now, note)]

    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=(Status.PENDING, Status.PROCESSING),
        to=Status.TO_CONFIRM,
        kind=EventKind.RESOLVED,
        action=_("解决"),
        permitted=policies.can_work,
        denied_message=_("只有当前处理人可以解决工单"),
        note=resolution,
        note_required=True,
        note_label=_("解决方案"),
        extra=apply,
    )


@transaction.atomic
def confirm_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=(Status.TO_CONFIRM,),
        to=Status.DONE,
        kind=EventKind.CONFIRMED,
        action=_("确认完成"),
        permitted=policies.can_confirm,
        denied_message=_("只有提单人可以确认完成"),
        note=note,
    )


@transaction.atomic
def reopen_ticket(*, ticket_id, actor, reason: str) -> Ticket:
    def apply(ticket, now, note):
        ticket.reopen_count += 1
        ticket.resolved_at = None
        return ["reopen_count", "resolved_at"]

    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=(Status.TO_CONFIRM, Status.DONE),
        to=Status.PROCESSING,
        kind=EventKind.REOPENED,
        action=_("重新打开"),
        permitted=policies.can_reopen,
        denied_message=_("只有提单人或处理人可以重新打开"),
        note=reason,
        note_required=True,
        note_label=_("重新打开的原因"),
        extra=apply,
    )


@transaction.atomic
def close_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    def apply(ticket, now, _note):
        ticket.closed_at = now
        return ["closed_at"]

    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=_closable_statuses,
        to=Status.CLOSED,
        kind=EventKind.CLOSED,
        action=_("关闭"),
        permitted=policies.may_close,
        denied_message=_("没有关闭此工单的权限"),
        note=note,
        extra=apply,
    )


@transaction.atomic
def cancel_ticket(*, ticket_id, actor, reason: str = "") -> Ticket:
    def apply(ticket, now, _note):
        ticket.closed_at = now
        return ["closed_at"]

    return _status_change(
        ticket_id=ticket_id,
        actor=actor,
        allowed_from=OPEN_STATUSES,
        to=Status.CANCELLED,
        kind=EventKind.CANCELLED,
        action=_("取消"),
        permitted=policies.can_cancel,
        denied_message=_("只有提单人可以取消工单"),
        note=reason,
        extra=apply,
    )


def _closable_statuses(actor, ticket) -> tuple[str, ...]:
    """Managers close anything still alive; the requester and the assignee close what is done."""
    if policies.is_manager(actor):
        return (*OPEN_STATUSES, Status.TO_CONFIRM, Status.DONE)
    return (Status.DONE,)
