"""Every write to a ticket. Each public function validates, changes the ticket, records exactly one
`TicketEvent` per change and writes the notifications, all in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.catalog.models import CatalogEntry
from andon.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from andon.notifications.services import notify_for_event
from andon.queues.models import DispatchRule, Queue
from andon.queues.services import pick_assignee
from andon.tickets import policies
from andon.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    Comment,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)

User = get_user_model()

TITLE_MAX = 200
BODY_MAX = 20_000


# --- helpers ------------------------------------------------------------------------------


def record_event(
    *,
    ticket: Ticket,
    kind: str,
    actor,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    at=None,
) -> TicketEvent:
    """Append one activity-log event and notify about it, in the caller's transaction."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        before=before or {},
        after=after or {},
        note=note,
        created_at=at or timezone.now(),
    )
    notify_for_event(event=event, ticket=ticket)
    return event


def _locked(ticket_id, actor) -> Ticket:
    """Lock the ticket row for this transaction; invisible tickets are reported as missing."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("queue", "assignee", "requester")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or not policies.can_view(actor, ticket):
        raise NotFound(_("工单不存在或无权查看"))
    return ticket


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_status(ticket: Ticket, allowed: Iterable[str], action: str) -> None:
    if ticket.status not in allowed:
        raise Conflict(
            _("工单当前状态为「%(status)s」，不能%(action)s")
            % {"status": ticket.get_status_display(), "action": action},
            code="invalid_transition",
        )


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


def _mark_responded(ticket: Ticket, actor, now) -> list[str]:
    """First response: the first action by the handling side (not the requester)."""
    if ticket.first_response_at is None and not policies.is_requester(actor, ticket):
        ticket.first_response_at = now
        return ["first_response_at"]
    return []


def _dispatch(ticket: Ticket, queue: Queue | None, actor, now) -> None:
    """Hand the ticket to the queue's rule; an unusable queue leaves it in the pool, explained."""
    assignee = pick_assignee(queue=queue) if queue is not None else None
    ticket.assignee = assignee
    ticket.status = Status.PENDING
    _touch(ticket, now, "assignee", "status")
    if assignee is not None:
        record_event(
            ticket=ticket,
            kind=EventKind.DISPATCHED,
            actor=None,
            after={"assignee": _user_ref(assignee), "queue": _queue_ref(queue), "rule": queue.dispatch_rule},
            at=now,
        )
        return
    if queue is None:
        reason = _("服务目录未绑定派单队列")
    elif not queue.is_enabled:
        reason = _("队列「%s」已停用，工单留在待认领池") % queue.name
    elif queue.dispatch_rule == DispatchRule.MANUAL:
        reason = _("队列「%s」为手动认领，等待成员认领") % queue.name
    else:
        reason = _("队列「%s」当前没有可接单的成员，工单留在待认领池") % queue.name
    record_event(
        ticket=ticket,
        kind=EventKind.UNDISPATCHED,
        actor=None,
        after={"queue": _queue_ref(queue)},
        note=reason,
        at=now,
    )


# --- create and edit ------------------------------------------------------------------------


def validate_catalog_entry(entry_id) -> CatalogEntry:
    if entry_id in (None, ""):
        raise ValidationFailed(
            _("请选择二级服务目录"), errors={"catalog_entry": [_("此项必填")]}
        )
    try:
        entry = CatalogEntry.objects.select_related("parent", "queue").get(pk=int(entry_id))
    except (CatalogEntry.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(
            _("服务目录不存在"), errors={"catalog_entry": [_("服务目录不存在")]}
        ) from None
    if entry.parent_id is None:
        raise ValidationFailed(
            _("请选择二级服务目录"), errors={"catalog_entry": [_("只能选择二级服务目录")]}
        )
    if entry.is_retired or entry.parent.is_retired:
        raise ValidationFailed(
            _("该服务目录已停用"), errors={"catalog_entry": [_("该服务目录已停用")]}
        )
    return entry


def _validate_priority(value) -> str:
    if value in (None, ""):
        return Priority.L3
    if value not in Priority.values:
        raise ValidationFailed(
            _("优先级不正确"), errors={"priority": [_("应为 L1、L2、L3 或 L4")]}
        )
    return value


def _validate_custom_fields(value) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValidationFailed(
            _("自定义字段格式不正确"), errors={"custom_fields": [_("应为以字段标识为键的对象")]}
        )
    return value


@transaction.atomic
def create_ticket(
    *,
    actor,
    title: str,
    catalog_entry_id,
    description: str = "",
    priority: str | None = None,
    requester=None,
    channel: str = Channel.WEB,
    custom_fields: dict | None = None,
    attachments: Iterable[UploadedFile] = (),
    created_at=None,
) -> Ticket:
    _require(has_perm(actor, "tickets.create"), _("没有提交工单的权限"))
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for key, check in (
        ("title", lambda: _text(title, "title", required=True, max_length=TITLE_MAX, label=_("标题"))),
        (
            "description",
            lambda: _text(description, "description", required=False, max_length=BODY_MAX, label=_("描述")),
        ),
        ("priority", lambda: _validate_priority(priority)),
        ("catalog_entry", lambda: validate_catalog_entry(catalog_entry_id)),
        ("custom_fields", lambda: _validate_custom_fields(custom_fields)),
    ):
        try:
            cleaned[key] = check()
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if channel not in Channel.values:
        errors["channel"] = [_("渠道不正确")]
    attachments = list(attachments)
    for upload in attachments:
        try:
            _validate_upload(upload)
        except ValidationFailed as exc:
            errors.setdefault("attachments", []).extend(exc.errors["attachments"])
    if requester is not None and requester.pk != actor.pk:
        if not (has_perm(actor, "tickets.handle") or has_perm(actor, "tickets.manage")):
            errors["requester"] = [_("没有代他人提交工单的权限")]
        elif not requester.is_active:
            errors["requester"] = [_("提单人已停用")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors=errors)

    now = created_at or timezone.now()
    entry: CatalogEntry = cleaned["catalog_entry"]
    ticket = Ticket.objects.create(
        title=cleaned["title"],
        description=cleaned["description"],
        priority=cleaned["priority"],
        catalog_entry=entry,
        queue=entry.queue,
        requester=requester or actor,
        created_by=actor,
        channel=channel,
        custom_fields=cleaned["custom_fields"],
        created_at=now,
        updated_at=now,
    )
    record_event(
        ticket=ticket,
        kind=EventKind.CREATED,
        actor=actor,
        after={
            "title": ticket.title,
            "priority": ticket.priority,
            "catalog_entry": {"id": entry.pk, "name": str(entry)},
            "channel": channel,
        },
        at=now,
    )
    for upload in attachments:
        _store_attachment(ticket=ticket, actor=actor, upload=upload, now=now)
    _dispatch(ticket, entry.queue, actor, now)
    return ticket


@transaction.atomic
def update_ticket(*, ticket_id, actor, **changes) -> Ticket:
    ticket = _locked(ticket_id, actor)
    _require(policies.can_edit(actor, ticket), _("没有修改此工单的权限"))
    if ticket.status in (Status.CLOSED, Status.CANCELLED, Status.DONE):
        _require_status(ticket, (), _("修改"))
    unknown = set(changes) - {"title", "description", "priority", "custom_fields"}
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段"), errors={k: [_("不能修改")] for k in sorted(unknown)}
        )
    validators = {
        "title": lambda v: _text(v, "title", required=True, max_length=TITLE_MAX, label=_("标题")),
        "description": lambda v: _text(
            v, "description", required=False, max_length=BODY_MAX, label=_("描述")
        ),
        "priority": lambda v: _validate_priority(v) if v not in (None, "") else ticket.priority,
        "custom_fields": _validate_custom_fields,
    }
    before, after = {}, {}
    for field, value in changes.items():
        value = validators[field](value)
        if getattr(ticket, field) != value:
            before[field] = getattr(ticket, field)
            after[field] = value
            setattr(ticket, field, value)
    if not after:
        return ticket
    now = timezone.now()
    _touch(ticket, now, *after)
    record_event(ticket=ticket, kind=EventKind.UPDATED, actor=actor, before=before, after=after, at=now)
    return ticket


# --- handling actions ---------------------------------------------------------------------


@transaction.atomic
def claim_ticket(*, ticket_id, actor) -> Ticket:
    """认领: make the caller the assignee. Two simultaneous claims give exactly one winner: the
    row lock serialises them and the loser finds the ticket already taken (409)."""
    ticket = _locked(ticket_id, actor)
    _require(policies.can_claim(actor, ticket), _("只有该队列的成员可以认领"))
    _require_status(ticket, OPEN_STATUSES, _("认领"))
    if ticket.assignee_id and not (
        ticket.assignee_id == actor.pk and ticket.status == Status.PENDING
    ):
        raise Conflict(
            _("工单已由 %s 处理") % ticket.assignee.name, code="already_claimed"
        )
    now = timezone.now()
    before = {"assignee": _user_ref(ticket.assignee), "status": ticket.status}
    ticket.assignee = actor
    ticket.status = Status.PROCESSING
    _touch(ticket, now, "assignee", "status", *_mark_responded(ticket, actor, now))
    record_event(
        ticket=ticket,
        kind=EventKind.CLAIMED,
        actor=actor,
        before=before,
        after={"assignee": _user_ref(actor), "status": ticket.status},
        at=now,
    )
    return ticket


@transaction.atomic
def urge_ticket(*, ticket_id, actor, note: str = "") -> Ticket:
    ticket = _locked(ticket_id, actor)
    _require(policies.can_urge(actor, ticket), _("当前处理人不能催自己的工单"))
    _require_status(ticket, OPEN_STATUSES, _("催单"))
    note = _text(note, "note", required=False, max_length=500, label=_("催单说明"))
    now = timezone.now()
    window = timedelta(seconds=settings.URGE_MIN_INTERVAL_SECONDS)
    last = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.URGED, actor=actor)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and now - last < window:
        wait_minutes = max(1, int((window - (now - last)).total_seconds() // 60) + 1)
        raise RateLimited(_("催单太频繁，请 %s 分钟后再试") % wait_minutes, code="urge_too_soon")
    ticket.urge_count += 1
    _touch(ticket, now, "urge_count")
    record_event(
        ticket=ticket,
        kind=EventKind.URGED,
        actor=actor,
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
) -> Comment:
    ticket = _locked(ticket_id, actor)
    _require(policies.can_comment(actor, ticket), _("没有评论此工单的权限"))
    _require_status(ticket, [s for s in Status.values if s not in (Status.CLOSED, Status.CANCELLED)], _("评论"))
    attachments = list(attachments)
    body = _text(body, "body", required=not attachments, max_length=BODY_MAX, label=_("评论内容"))
    if is_internal and not policies.is_staff_side(actor, ticket):
        raise PermissionDenied(_("只有处理方可以发表内部评论"))
    for upload in attachments:
        _validate_upload(upload)
    now = timezone.now()
    comment = Comment.objects.create(
        ticket=ticket, author=actor, body=body, is_internal=bool(is_internal), created_at=now
    )
    for upload in attachments:
        _store_attachment(ticket=ticket, actor=actor, upload=upload, now=now, comment=comment)
    responded = _mark_responded(ticket, actor, now) if not is_internal else []
    _touch(ticket, now, *responded)
    record_event(
        ticket=ticket,
        kind=EventKind.COMMENTED,
        actor=actor,
        after={"comment": comment.pk, "internal": comment.is_internal},
        note=body[:500],
        at=now,
    )
    return comment


@transaction.atomic
def transfer_ticket(
    *, ticket_id, actor, queue_id=None, assignee_id=None, note: str = ""
) -> Ticket:
    """转单: to another queue (its rule re-dispatches) or to a person (who then accepts)."""
    ticket = _locked(ticket_id, actor)
    _require(policies.can_work(actor, ticket), _("只有当前处理人可以转单"))
    _require_status(ticket, OPEN_STATUSES, _("转单"))
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
            raise ValidationFailed(_("队列「%s」已停用") % target_queue.name, errors={"queue": [_("队列已停用")]})
    target_user = None
    if assignee_id not in (None, ""):
        target_user = User.objects.filter(pk=_int_or_none(assignee_id), is_active=True).first()
        if target_user is None:
            raise ValidationFailed(_("处理人不存在或已停用"), errors={"assignee": [_("处理人不存在或已停用")]})
        if target_user.pk == ticket.assignee_id and target_queue == ticket.queue:
            raise Conflict(_("工单已由 %s 处理") % target_user.name, code="same_assignee")
    now = timezone.now()
    before = {"queue": _queue_ref(ticket.queue), "assignee": _user_ref(ticket.assignee), "status": ticket.status}
    ticket.queue = target_queue
    if target_user is not None:
        ticket.assignee = target_user
        ticket.status = Status.PENDING
        _touch(ticket, now, "queue", "assignee", "status")
    else:
        ticket.assignee = None
        ticket.status = Status.PENDING
        _touch(ticket, now, "queue", "assignee", "status")
    record_event(
        ticket=ticket,
        kind=EventKind.TRANSFERRED,
        actor=actor,
        before=before,
        after={"queue": _queue_ref(target_queue), "assignee": _user_ref(target_user), "status": ticket.status},
        note=note,
        at=now,
    )
    if target_user is None:
        _dispatch(ticket, target_queue, actor, now)
    return ticket


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
    _require_status(ticket, allowed_from, action)
    note = _text(note, "note", required=note_required, max_length=BODY_MAX, label=note_label or _("说明"))
    now = timezone.now()
    before = {"status": ticket.status}
    ticket.status = to
    fields = ["status"]
    if extra:
        fields += extra(ticket, now, note)
    _touch(ticket, now, *fields)
    record_event(
        ticket=ticket, kind=kind, actor=actor, before=before, after={"status": to}, note=note, at=now
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
        extra=lambda t, now, _note: _mark_responded(t, actor, now),
    )


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
    def apply(ticket, now, note):
        ticket.resolved_at = now
        ticket.resolution = note
        fields = ["resolved_at", "resolution", *_mark_responded(ticket, actor, now)]
        if ticket.assignee_id is None:
            ticket.assignee = actor
            fields.append("assignee")
        return fields

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
        allowed_from=(*OPEN_STATUSES, Status.TO_CONFIRM, Status.DONE),
        to=Status.CLOSED,
        kind=EventKind.CLOSED,
        action=_("关闭"),
        permitted=policies.can_close,
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


# --- attachments ----------------------------------------------------------------------------


def _validate_upload(upload: UploadedFile) -> None:
    name = upload.name or ""
    extension = Path(name).suffix.lower().lstrip(".")
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        message = _("不支持的附件类型：%s") % (extension or name)
        raise ValidationFailed(message, errors={"attachments": [message]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        message = _("附件「%(name)s」超过 %(mb)s MB") % {
            "name": name,
            "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }
        raise ValidationFailed(message, errors={"attachments": [message]})


def _store_attachment(*, ticket, actor, upload, now, comment=None) -> Attachment:
    extension = "." + Path(upload.name).suffix.lower().lstrip(".")
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        uploaded_by=actor,
        token=secrets.token_hex(16),
        extension=extension,
        original_name=Path(upload.name).name[:255],
        size=upload.size,
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
        created_at=now,
    )
    # Every check ran before this point, so a file is written only for a ticket that is saved.
    attachment.file.save(f"{attachment.token}{extension}", upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(*, ticket_id, actor, upload: UploadedFile) -> Attachment:
    ticket = _locked(ticket_id, actor)
    _require(policies.can_comment(actor, ticket), _("没有上传附件的权限"))
    _validate_upload(upload)
    now = timezone.now()
    attachment = _store_attachment(ticket=ticket, actor=actor, upload=upload, now=now)
    _touch(ticket, now)
    record_event(
        ticket=ticket,
        kind=EventKind.ATTACHED,
        actor=actor,
        after={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size},
        at=now,
    )
    return attachment
