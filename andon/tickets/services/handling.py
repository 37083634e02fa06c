"""Actions that hand a ticket around or talk about it: claim, urge, comment, reassign, transfer."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import (
    Conflict,
    RateLimited,
    ValidationFailed,
)
from andon.queues.models import Queue, QueueMembership
from andon.tickets import events, policies
from andon.tickets.models import (
    Comment,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
)
from andon.tickets.services.attachments import (
    _removing_files_on_error,
    _store_attachment,
    _validate_upload,
)
from andon.tickets.services.common import (
    BODY_MAX,
    _check,
    _dispatch,
    _int_or_none,
    _locked,
    _mark_responded,
    _queue_ref,
    _require,
    _text,
    _touch,
    _user_ref,
)

User = get_user_model()


# --- handling actions ---------------------------------------------------------------------


@transaction.atomic
def claim_ticket(*, ticket_id, actor, now: datetime | None = None) -> Ticket:
    """认领: make the caller the assignee. Two simultaneous claims give exactly one winner: the
    row lock serialises them and the loser finds the ticket already taken (409)."""
    ticket = _locked(ticket_id, actor)
    _check("claim", actor, ticket)
    now = now or timezone.now()
    before = {"assignee": _user_ref(ticket.assignee), "status": ticket.status}
    ticket.assignee = actor
    ticket.status = Status.PROCESSING
    _touch(
        ticket,
        now,
        "assignee",
        "status",
        *_mark_responded(ticket, now, action="claim", actor=actor),
    )
    events.record_event(
        ticket=ticket,
        kind=EventKind.CLAIMED,
        actor=actor,
        before=before,
        after={"assignee": _user_ref(actor), "status": ticket.status},
        at=now,
    )
    return ticket


@transaction.atomic
def urge_ticket(*, ticket_id, actor, note: str = "", now: datetime | None = None) -> Ticket:
    ticket = _locked(ticket_id, actor)
    _check("urge", actor, ticket)
    note = _text(note, "note", required=False, max_length=500, label=_("催单说明"))
    now = now or timezone.now()
    window = timedelta(seconds=settings.URGE_MIN_INTERVAL_SECONDS)
    last = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.URGED, actor=actor)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and now - last < window:
        wait_minutes = max(1, math.ceil((window - (now - last)).total_seconds() / 60))
        raise RateLimited(_("催单太频繁，请 %s 分钟后再试") % wait_minutes, code="urge_too_soon")
    ticket.urge_count += 1
    _touch(ticket, now, "urge_count")
    events.record_event(
        ticket=ticket,
        kind=EventKind.URGED,
        actor=actor,
        before={"urge_count": ticket.urge_count - 1},
        after={"urge_count": ticket.urge_count},
        note=note,
        at=now,
    )
    return ticket


@transaction.atomic
def add_comment(
    *,
    ticket_id,
    actor,
    body: str,
    is_internal: bool = False,
    attachments: Iterable[UploadedFile] = (),
    now: datetime | None = None,
) -> Comment:
    ticket = _locked(ticket_id, actor)
    _check("comment", actor, ticket)
    if is_internal:
        _require(policies.can_comment_internally(actor, ticket), _("只有处理方可以发表内部评论"))
    attachments = list(attachments or ())
    body = _text(body, "body", required=not attachments, max_length=BODY_MAX, label=_("评论内容"))
    for upload in attachments:
        _validate_upload(upload)
    now = now or timezone.now()
    with _removing_files_on_error() as stored:
        comment = Comment.objects.create(
            ticket=ticket, author=actor, body=body, is_internal=bool(is_internal), created_at=now
        )
        for upload in attachments:
            _store_attachment(
                ticket=ticket, actor=actor, upload=upload, now=now, comment=comment, stored=stored
            )
        responded = _mark_responded(
            ticket, now, action="comment", actor=actor, internal=bool(is_internal)
        )
        _touch(ticket, now, *responded)
        events.record_event(
            ticket=ticket,
            kind=EventKind.COMMENTED,
            actor=actor,
            after={"comment": comment.pk, "internal": comment.is_internal},
            note=body[:500],
            at=now,
        )
    return comment


@transaction.atomic
def reassign_ticket(
    *, ticket_id, actor, to_user, note: str = "", now: datetime | None = None
) -> Ticket:
    """Hand an unfinished ticket to another person as it is — same queue, same status, timers
    running on — for handovers and deactivations (轻量交接). Managers only."""
    ticket = _locked(ticket_id, actor)
    _check("reassign", actor, ticket)
    note = _text(note, "note", required=False, max_length=BODY_MAX, label=_("说明"))
    if to_user is None or not to_user.is_active:
        raise ValidationFailed(
            _("接手人不存在或已停用"), errors={"to_user": [_("接手人不存在或已停用")]}
        )
    if ticket.assignee_id == to_user.pk:
        return ticket
    now = now or timezone.now()
    before = {"assignee": _user_ref(ticket.assignee), "status": ticket.status}
    ticket.assignee = to_user
    _touch(ticket, now, "assignee")
    events.record_event(
        ticket=ticket,
        kind=EventKind.TRANSFERRED,
        actor=actor,
        before={**before, "queue": _queue_ref(ticket.queue)},
        after={
            "assignee": _user_ref(to_user),
            "status": ticket.status,
            "queue": _queue_ref(ticket.queue),
            "handover": True,
        },
        note=note,
        at=now,
    )
    return ticket


@transaction.atomic
def transfer_ticket(
    *,
    ticket_id,
    actor,
    queue_id=None,
    assignee_id=None,
    note: str = "",
    now: datetime | None = None,
) -> Ticket:
    """转单: to another queue (its rule re-dispatches) or to a person (who then accepts)."""
    ticket = _locked(ticket_id, actor)
    _check("transfer", actor, ticket)
    note = _text(note, "note", required=False, max_length=BODY_MAX, label=_("转单说明"))
    if queue_id in (None, "") and assignee_id in (None, ""):
        raise ValidationFailed(
            _("请选择要转给的队列或处理人"),
            errors={"queue": [_("队列或处理人至少选一个")]},
        )
    target_queue = ticket.queue
    if queue_id not in (None, ""):
        target_queue = Queue.objects.filter(pk=_int_or_none(queue_id)).first()
        if target_queue is None:
            raise ValidationFailed(_("队列不存在"), errors={"queue": [_("队列不存在")]})
        if not target_queue.is_enabled:
            raise ValidationFailed(
                _("队列「%s」已停用") % target_queue.name, errors={"queue": [_("队列已停用")]}
            )
    target_user = None
    if assignee_id not in (None, ""):
        target_user = User.objects.filter(pk=_int_or_none(assignee_id), is_active=True).first()
        if target_user is None:
            raise ValidationFailed(
                _("处理人不存在或已停用"), errors={"assignee": [_("处理人不存在或已停用")]}
            )
        if target_user.pk == ticket.assignee_id and target_queue == ticket.queue:
            raise Conflict(_("工单已由 %s 处理") % target_user.name, code="same_assignee")
        if target_queue is not None:
            qualified = QueueMembership.objects.filter(
                queue=target_queue, user=target_user
            ).exists()
            problem = _("处理人不是队列「%s」的成员") % target_queue.name
        else:
            qualified = has_perm(target_user, "tickets.handle")
            problem = _("该用户没有处理工单的权限")
        if not qualified:
            raise ValidationFailed(problem, errors={"assignee": [problem]})
    now = now or timezone.now()
    before_assignee_id = ticket.assignee_id
    before = {
        "queue": _queue_ref(ticket.queue),
        "assignee": _user_ref(ticket.assignee),
        "status": ticket.status,
    }
    ticket.queue = target_queue
    # A person accepts a transfer by claiming it; a queue's rule re-dispatches below.
    ticket.assignee = target_user
    ticket.status = Status.PENDING
    _touch(ticket, now, "queue", "assignee", "status")
    events.record_event(
        ticket=ticket,
        kind=EventKind.TRANSFERRED,
        actor=actor,
        before=before,
        after={
            "queue": _queue_ref(target_queue),
            "assignee": _user_ref(target_user),
            "status": ticket.status,
        },
        note=note,
        at=now,
    )
    if target_user is None:
        # Whoever hands the ticket on is not dealt it straight back.
        _dispatch(ticket, target_queue, now, exclude={before_assignee_id, actor.pk} - {None})
    return ticket
