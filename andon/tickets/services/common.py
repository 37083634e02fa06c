"""Helpers every ticket write shares: locking, permission and status checks, refs, dispatch."""

from __future__ import annotations

from django.utils.translation import gettext as _

from andon.core.errors import (
    PermissionDenied,
    ValidationFailed,
)
from andon.queues.models import DispatchRule, Queue
from andon.queues.services import pick_assignee
from andon.tickets import events, selectors, workflow
from andon.tickets.models import (
    EventKind,
    Status,
    Ticket,
)

TITLE_MAX = 200
BODY_MAX = 20_000


def _require_active(actor) -> None:
    if not getattr(actor, "is_active", False):
        raise PermissionDenied(_("账号未登录或已停用"))


def _locked(ticket_id, actor) -> Ticket:
    """Lock the ticket row for this transaction; invisible tickets are reported as missing."""
    _require_active(actor)
    return selectors.get_visible_ticket(actor, ticket_id, for_update=True)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _check(action: str, actor, ticket: Ticket) -> None:
    """The workflow's rule for `action` (who, from which status); see `andon.tickets.workflow`."""
    workflow.check(action, actor, ticket)


def _text(value, field: str, *, required: bool, max_length: int, label: str) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("%s格式不正确") % label, errors={field: [_("应为文本")]})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("请填写%s") % label, errors={field: [_("此项必填")]})
    if len(value) > max_length:
        message = _("%(label)s不能超过 %(max)s 个字符") % {"label": label, "max": max_length}
        raise ValidationFailed(message, errors={field: [message]})
    return value


def _user_ref(user) -> dict | None:
    return {"id": user.pk, "name": user.name} if user else None


def _queue_ref(queue) -> dict | None:
    return {"id": queue.pk, "name": queue.name} if queue else None


def _touch(ticket: Ticket, now, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


def _mark_responded(
    ticket: Ticket, now, *, action: str, actor, internal: bool = False
) -> list[str]:
    """Stamp the first response when `action` is one (`workflow.counts_as_response`, the one
    rule); returns the field to save, if any."""
    if ticket.first_response_at is None and workflow.counts_as_response(
        action, actor, ticket, internal=internal
    ):
        ticket.first_response_at = now
        return ["first_response_at"]
    return []


def _dispatch(ticket: Ticket, queue: Queue | None, now, *, exclude=()) -> None:
    """Hand the ticket to the queue's rule; an unusable queue leaves it in the pool, explained."""
    ticket.assignee = _pick(queue, exclude=exclude, now=now)
    ticket.status = Status.PENDING
    _touch(ticket, now, "assignee", "status")
    _record_dispatch(ticket, queue, now)


def _pick(queue: Queue | None, *, exclude=(), now=None):
    return pick_assignee(queue=queue, exclude=exclude, now=now) if queue is not None else None


def _record_dispatch(ticket: Ticket, queue: Queue | None, now) -> None:
    """The dispatched (or undispatched, explained) event of an assignment already made.
    `pick_assignee` refreshes the queue's rule and flag from its locked row, so the reason below
    describes what was decided."""
    assignee = ticket.assignee
    if assignee is not None:
        events.record_event(
            ticket=ticket,
            kind=EventKind.DISPATCHED,
            actor=None,
            after={
                "assignee": _user_ref(assignee),
                "queue": _queue_ref(queue),
                "rule": queue.dispatch_rule,
            },
            at=now,
        )
        return
    if queue is None:
        code, reason = "no_queue", _("服务目录未绑定派单队列")
    elif not queue.is_enabled:
        code, reason = "queue_disabled", _("队列「%s」已停用，工单留在待认领池") % queue.name
    elif queue.dispatch_rule == DispatchRule.MANUAL:
        code, reason = "manual", _("队列「%s」为手动认领，等待成员认领") % queue.name
    else:
        code = "nobody_available"
        reason = _("队列「%s」当前没有可接单的成员，工单留在待认领池") % queue.name
    events.record_event(
        ticket=ticket,
        kind=EventKind.UNDISPATCHED,
        actor=None,
        after={"queue": _queue_ref(queue), "reason": code},
        note=reason,
        at=now,
    )


def _int_or_none(value) -> int | None:
    """A database id from user input, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None
