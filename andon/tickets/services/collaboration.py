"""People around a ticket: taking it over (认领 from its handler), collaborators (卷入), watchers
(关注) and the requester's copies (抄送). Each change that others should see in the activity log
records an event; following and unfollowing are one person's own business and record none."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import Conflict, NotFound, ValidationFailed
from andon.core.validation import single_line
from andon.queues.models import Queue
from andon.tickets import events, policies
from andon.tickets.models import (
    UNFINISHED_STATUSES,
    CarbonCopy,
    Collaborator,
    EventKind,
    Status,
    Ticket,
    Watcher,
)
from andon.tickets.services.common import (
    _check,
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

# People may be pulled in or copied while the ticket is still being worked or confirmed.
OPEN_TO_PEOPLE = (*UNFINISHED_STATUSES, Status.DONE)
NAME_MAX = 100
TICKET_PERMISSIONS = ("tickets.create", "tickets.handle", "tickets.view_all", "tickets.manage")


def _require_open(ticket: Ticket, what: str) -> None:
    if ticket.status not in OPEN_TO_PEOPLE:
        raise Conflict(
            _("工单当前状态为「%(status)s」，不能%(what)s")
            % {"status": ticket.get_status_display(), "what": what},
            code="invalid_transition",
        )


def _active_user(value, field: str):
    pk = _int_or_none(value.pk if isinstance(value, User) else value)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        raise ValidationFailed(_("用户不存在或已停用"), errors={field: [_("用户不存在或已停用")]})
    return user


# --- take-over ------------------------------------------------------------------------------


@transaction.atomic
def take_over_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    """认领 a ticket someone else holds: the caller becomes the current handler. Under the row
    lock, so two take-overs (or a take-over and a claim) have exactly one winner. The response
    timer is met if it was still running (a take-over answers the requester); the resolution
    timer runs on — the queue is the same."""
    ticket = _locked(ticket_id, actor)
    _check("take-over", actor, ticket)
    note = _text(note, "note", required=False, max_length=500, label=_("接手说明"))
    now = timezone.now()
    previous = ticket.assignee
    before = {"assignee": _user_ref(previous), "status": ticket.status}
    ticket.assignee = actor
    if ticket.status == Status.PENDING:
        ticket.status = Status.PROCESSING
    _touch(
        ticket,
        now,
        "assignee",
        "status",
        *_mark_responded(ticket, now, action="take-over", actor=actor),
    )
    # The new owner is no longer a collaborator of their own ticket.
    if Collaborator.objects.filter(ticket=ticket, user=actor).delete()[0]:
        policies.forget_people(ticket)
    events.record_event(
        ticket=ticket,
        kind=EventKind.TAKEN_OVER,
        actor=actor,
        before=before,
        after={"assignee": _user_ref(actor), "status": ticket.status},
        note=note,
        at=now,
    )
    return ticket


# --- collaborators (卷入) ----------------------------------------------------------------------


def _collaborator_ref(collaborator: Collaborator) -> dict:
    if collaborator.user_id:
        return {"id": collaborator.pk, "user": _user_ref(collaborator.user)}
    return {"id": collaborator.pk, "queue": _queue_ref(collaborator.queue)}


@transaction.atomic
def add_collaborator(
    *, ticket_id, actor, user_id=None, queue_id=None, note: str = ""
) -> Collaborator:
    """The handler pulls a person, or every member of a queue, into the ticket."""
    ticket = _locked(ticket_id, actor)
    _require(policies.can_manage_collaborators(actor, ticket), _("只有当前处理人可以邀请协作人"))
    _require_open(ticket, _("邀请协作人"))
    note = _text(note, "note", required=False, max_length=500, label=_("说明"))
    given = [v for v in (user_id, queue_id) if v not in (None, "")]
    if len(given) != 1:
        raise ValidationFailed(
            _("请选择一位协作人或一个队列"), errors={"user": [_("协作人和队列只能选一个")]}
        )
    user = queue = None
    if user_id not in (None, ""):
        user = _active_user(user_id, "user")
        if user.pk == ticket.assignee_id:
            raise Conflict(_("%s 已是当前处理人") % user.name, code="already_assignee")
        if policies.is_requester(user, ticket):
            # Collaborators read internal comments; the requester must not.
            problem = _("提单人不能被邀请为协作人，可以添加为抄送")
            raise ValidationFailed(problem, errors={"user": [problem]})
        if not any(has_perm(user, code) for code in TICKET_PERMISSIONS):
            problem = _("%s 没有使用工单的权限") % user.name
            raise ValidationFailed(problem, errors={"user": [problem]})
    else:
        queue = Queue.objects.filter(pk=_int_or_none(queue_id)).first()
        if queue is None:
            raise ValidationFailed(_("队列不存在"), errors={"queue": [_("队列不存在")]})
        if not queue.is_enabled:
            raise ValidationFailed(
                _("队列「%s」已停用") % queue.name, errors={"queue": [_("队列已停用")]}
            )
        if queue.pk == ticket.queue_id:
            raise Conflict(_("工单已在队列「%s」中") % queue.name, code="same_queue")
    now = timezone.now()
    try:
        with transaction.atomic():
            collaborator = Collaborator.objects.create(
                ticket=ticket, user=user, queue=queue, added_by=actor, created_at=now
            )
    except IntegrityError:
        name = user.name if user else queue.name
        raise Conflict(_("%s 已是协作人") % name, code="already_collaborator") from None
    policies.forget_people(ticket)
    _touch(ticket, now)
    events.record_event(
        ticket=ticket,
        kind=EventKind.COLLABORATOR_ADDED,
        actor=actor,
        after={"collaborator": _collaborator_ref(collaborator)},
        note=note,
        at=now,
    )
    return collaborator


def _remove_collaborator(ticket: Ticket, actor, collaborator: Collaborator, *, left: bool) -> None:
    ref = _collaborator_ref(collaborator)
    collaborator.delete()
    if left:
        # Leaving means hearing no more of it.
        Watcher.objects.filter(ticket=ticket, user=actor).delete()
    policies.forget_people(ticket)
    now = timezone.now()
    _touch(ticket, now)
    events.record_event(
        ticket=ticket,
        kind=EventKind.COLLABORATOR_REMOVED,
        actor=actor,
        before={"collaborator": ref},
        after={"left": left},
        at=now,
    )


@transaction.atomic
def remove_collaborator(*, ticket_id, actor, collaborator_id) -> None:
    """The handler lets a collaborator go; a collaborator may also remove themselves."""
    ticket = _locked(ticket_id, actor)
    pk = _int_or_none(collaborator_id)
    collaborator = (
        Collaborator.objects.select_related("user", "queue").filter(pk=pk, ticket=ticket).first()
        if pk
        else None
    )
    if collaborator is None:
        raise NotFound(_("协作人不存在"))
    own = collaborator.user_id == actor.pk
    _require(
        own or policies.can_manage_collaborators(actor, ticket),
        _("只有当前处理人可以移除协作人"),
    )
    _remove_collaborator(ticket, actor, collaborator, left=own)


@transaction.atomic
def leave_ticket(*, ticket_id, actor) -> None:
    """A collaborator steps out (退出协作); the ticket's owner is unchanged."""
    ticket = _locked(ticket_id, actor)
    collaborator = Collaborator.objects.select_related("user").filter(ticket=ticket, user=actor)
    collaborator = collaborator.first()
    if collaborator is None:
        raise Conflict(_("你不是此工单的协作人"), code="not_collaborator")
    _remove_collaborator(ticket, actor, collaborator, left=True)


# --- watchers (关注) ----------------------------------------------------------------------------


@transaction.atomic
def watch_ticket(*, ticket_id, actor) -> bool:
    """Follow a ticket one may see; True when newly followed (following twice is harmless)."""
    ticket = _locked(ticket_id, actor)
    _, created = Watcher.objects.get_or_create(
        ticket=ticket, user=actor, defaults={"created_at": timezone.now()}
    )
    return created


@transaction.atomic
def unwatch_ticket(*, ticket_id, actor) -> bool:
    ticket = _locked(ticket_id, actor)
    return bool(Watcher.objects.filter(ticket=ticket, user=actor).delete()[0])


# --- copies on the requester's side (抄送) ----------------------------------------------------


def _cc_ref(copy: CarbonCopy) -> dict:
    if copy.user_id:
        return {"id": copy.pk, "user": _user_ref(copy.user)}
    return {"id": copy.pk, "name": copy.name, "email": copy.email}


@transaction.atomic
def add_carbon_copy(
    *, ticket_id, actor, user_id=None, email: str = "", name: str = "", contact_id=None
) -> CarbonCopy:
    """Copy a colleague of the requester: a person with an account (who may then read the
    ticket as the requester does), or an e-mail address (a customer contact's, typically) that
    receives the public updates. `contact_id` records which contact the address came from; the
    adapters resolve a contact to its name and address."""
    ticket = _locked(ticket_id, actor)
    _require(policies.can_manage_cc(actor, ticket), _("只有提单人或当前处理人可以添加抄送"))
    _require_open(ticket, _("添加抄送"))
    email = email.strip() if isinstance(email, str) else email
    if (user_id in (None, "")) == (email in (None, "")):
        raise ValidationFailed(
            _("请选择一位用户或填写一个邮箱"), errors={"email": [_("用户和邮箱只能填一个")]}
        )
    user = None
    if user_id not in (None, ""):
        user = _active_user(user_id, "user")
        if policies.is_requester(user, ticket):
            raise Conflict(_("%s 是提单人，无需抄送") % user.name, code="is_requester")
        email, name = "", ""
    else:
        if not isinstance(email, str) or len(email) > 254:
            raise ValidationFailed(_("邮箱格式不正确"), errors={"email": [_("邮箱格式不正确")]})
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(
                _("邮箱格式不正确"), errors={"email": [_("邮箱格式不正确")]}
            ) from None
        name = single_line(
            _text(name, "name", required=False, max_length=NAME_MAX, label=_("姓名")),
            "name",
            label=_("姓名"),
        )
        email = email.lower()
    now = timezone.now()
    try:
        with transaction.atomic():
            copy = CarbonCopy.objects.create(
                ticket=ticket,
                user=user,
                email=email,
                name=name,
                contact_id=_int_or_none(contact_id),
                added_by=actor,
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(
            _("%s 已在抄送中") % (user.name if user else email), code="already_copied"
        ) from None
    policies.forget_people(ticket)
    _touch(ticket, now)
    events.record_event(
        ticket=ticket,
        kind=EventKind.CC_ADDED,
        actor=actor,
        after={"cc": _cc_ref(copy)},
        at=now,
    )
    return copy


@transaction.atomic
def remove_carbon_copy(*, ticket_id, actor, cc_id) -> None:
    """Whoever may copy may remove a copy; a copied person may remove themselves."""
    ticket = _locked(ticket_id, actor)
    pk = _int_or_none(cc_id)
    copy = CarbonCopy.objects.select_related("user").filter(pk=pk, ticket=ticket).first()
    if copy is None or not pk:
        raise NotFound(_("抄送不存在"))
    own = copy.user_id == actor.pk
    _require(own or policies.can_manage_cc(actor, ticket), _("只有提单人或当前处理人可以移除抄送"))
    ref = _cc_ref(copy)
    copy.delete()
    policies.forget_people(ticket)
    now = timezone.now()
    _touch(ticket, now)
    events.record_event(
        ticket=ticket, kind=EventKind.CC_REMOVED, actor=actor, before={"cc": ref}, at=now
    )
