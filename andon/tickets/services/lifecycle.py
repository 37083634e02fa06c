"""Status changes: need-info, resume, resolve, confirm, reopen, close, cancel."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from andon.tickets import events, workflow
from andon.tickets.models import EventKind, Status, Ticket
from andon.tickets.services.common import (
    BODY_MAX,
    _check,
    _locked,
    _mark_responded,
    _text,
    _touch,
    _user_ref,
)


def _status_change(
    action: str,
    *,
    ticket_id,
    actor,
    note: str = "",
    extra=None,
) -> Ticket:
    """One status change of the workflow table: its rule, its note, its target and its event."""
    step = workflow.get(action)
    ticket = _locked(ticket_id, actor)
    _check(action, actor, ticket)
    note_input = step.inputs[0]
    note = _text(
        note,
        "note",
        required=note_input.required,
        max_length=BODY_MAX,
        label=str(note_input.label),
    )
    to = step.to
    now = timezone.now()
    before = {"status": ticket.status}
    after = {"status": to}
    previous_assignee = ticket.assignee
    previous_stamps = {name: getattr(ticket, name) for name in ("resolved_at", "closed_at")}
    ticket.status = to
    fields = ["status", *_mark_responded(ticket, now, action=action, actor=actor)]
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
        ticket=ticket, kind=step.event, actor=actor, before=before, after=after, note=note, at=now
    )
    return ticket


@transaction.atomic
def request_info(*, ticket_id, actor, note: str) -> Ticket:
    return _status_change(
        "need-info", ticket_id=ticket_id, actor=actor, note=note, extra=_take(actor)
    )


def _take(actor):
    """A manager acting on a pool ticket becomes its handler: a ticket waiting on the requester or
    on their confirmation always has someone to come back to."""

    def apply(ticket, now, _note):
        if ticket.assignee_id is None:
            ticket.assignee = actor
            return ["assignee"]
        return []

    return apply


@transaction.atomic
def resume_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    return _status_change("resume", ticket_id=ticket_id, actor=actor, note=note)


@transaction.atomic
def resolve_ticket(*, ticket_id, actor, resolution: str) -> Ticket:
    take = _take(actor)

    def apply(ticket, now, note):
        ticket.resolved_at = now
        ticket.resolution = note
        return ["resolved_at", "resolution", *take(ticket, now, note)]

    return _status_change("resolve", ticket_id=ticket_id, actor=actor, note=resolution, extra=apply)


@transaction.atomic
def confirm_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    return _status_change("confirm", ticket_id=ticket_id, actor=actor, note=note)


@transaction.atomic
def reopen_ticket(*, ticket_id, actor, reason: str) -> Ticket:
    def apply(ticket, now, note):
        ticket.reopen_count += 1
        ticket.resolved_at = None
        return ["reopen_count", "resolved_at"]

    return _status_change("reopen", ticket_id=ticket_id, actor=actor, note=reason, extra=apply)


def _stamp_closed(ticket, now, _note):
    ticket.closed_at = now
    return ["closed_at"]


@transaction.atomic
def close_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    return _status_change("close", ticket_id=ticket_id, actor=actor, note=note, extra=_stamp_closed)


@transaction.atomic
def cancel_ticket(*, ticket_id, actor, reason: str = "") -> Ticket:
    return _status_change(
        "cancel", ticket_id=ticket_id, actor=actor, note=reason, extra=_stamp_closed
    )


# --- the system's own steps (auto-confirm, auto-close), run by the worker ---------------------


def _system_change(
    *, ticket_id: int, expected: str, to: str, kind: str, note: str, now
) -> Ticket | None:
    """A status change nobody made: no person's rule applies, only the status it expects. Returns
    None (and changes nothing) when the ticket has moved on, so a repeated run is harmless."""
    if not Ticket.objects.select_for_update(no_key=True).filter(pk=ticket_id).exists():
        return None
    ticket = Ticket.objects.select_related("queue", "assignee", "requester").get(pk=ticket_id)
    if ticket.status != expected:
        return None
    now = now or timezone.now()
    ticket.status = to
    fields = ["status"]
    if to == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    _touch(ticket, now, *fields)
    events.record_event(
        ticket=ticket,
        kind=kind,
        actor=None,
        before={"status": expected},
        after={"status": to, "auto": True},
        note=note,
        at=now,
    )
    return ticket


@transaction.atomic
def auto_confirm_ticket(*, ticket_id: int, note: str = "", now=None) -> Ticket | None:
    """自动确认: the requester did not answer in time; the resolution stands."""
    return _system_change(
        ticket_id=ticket_id,
        expected=Status.TO_CONFIRM,
        to=Status.DONE,
        kind=EventKind.CONFIRMED,
        note=note,
        now=now,
    )


@transaction.atomic
def auto_close_ticket(*, ticket_id: int, note: str = "", now=None) -> Ticket | None:
    """自动关闭: a done ticket closes after the queue's period."""
    return _system_change(
        ticket_id=ticket_id,
        expected=Status.DONE,
        to=Status.CLOSED,
        kind=EventKind.CLOSED,
        note=note,
        now=now,
    )
