"""Every write to a ticket. Each public function validates, changes the ticket, records exactly one
`TicketEvent` per change and writes the notifications, all in one transaction."""

from __future__ import annotations

import math
import mimetypes
import secrets
from collections.abc import Iterable
from contextlib import contextmanager
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
from andon.core.validation import single_line
from andon.fields import validation as field_validation
from andon.knowledge import search as search_index
from andon.notifications.services import notify_for_event
from andon.ola import engine as ola_engine
from andon.queues.models import DispatchRule, Queue, QueueMembership
from andon.queues.services import pick_assignee
from andon.reports import rollup as report_rollup
from andon.tickets import policies
from andon.tickets.models import (
    OPEN_STATUSES,
    UNFINISHED_STATUSES,
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
    # OLA timers react to every event (start, pause, meet, stop) in the same transaction.
    ola_engine.on_ticket_event(ticket=ticket, event=event)
    search_index.on_ticket_event(ticket=ticket, event=event)  # resolved tickets are searchable
    report_rollup.on_ticket_event(ticket=ticket, event=event)  # the days this change moves
    return event


def _require_active(actor) -> None:
    if not getattr(actor, "is_active", False):
        raise PermissionDenied(_("账号未登录或已停用"))


def _locked(ticket_id, actor) -> Ticket:
    """Lock the ticket row for this transaction; invisible tickets are reported as missing.

    The lock is taken by a bare query and the ticket read by a second one. On PostgreSQL a query
    that waited for the lock returns the locked row's new version, but rows it joined keep the
    old snapshot: after losing a claim race, a joined `assignee` would read as NULL though
    `assignee_id` is set. The second query starts after the lock is ours and sees everything the
    previous holder committed. NO KEY UPDATE does not block inserts that merely reference the
    ticket (events, timers) from other transactions."""
    _require_active(actor)
    pk = _int_or_none(ticket_id)
    ticket = None
    if pk is not None and (
        Ticket.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk").first()
    ):
        ticket = Ticket.objects.select_related("queue", "assignee", "requester").get(pk=pk)
    if ticket is None or not policies.can_view(actor, ticket):
        raise NotFound(_("工单不存在或无权查看"))
    return ticket


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_status(ticket: Ticket, allowed: Iterable[str], action: str) -> None:
    if ticket.status not in tuple(allowed):
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


def _mark_responded(ticket: Ticket, now) -> list[str]:
    """First response: the first handling-side action the requester can see (claim, public
    comment, need-info, resolve). Callers decide whether their action counts."""
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        return ["first_response_at"]
    return []


def _counts_as_response(actor, ticket: Ticket) -> bool:
    """A comment answers the requester only when the handling side writes it."""
    return policies.is_handling_side(actor, ticket) and not policies.is_requester(actor, ticket)


def _dispatch(ticket: Ticket, queue: Queue | None, now, *, exclude=()) -> None:
    """Hand the ticket to the queue's rule; an unusable queue leaves it in the pool, explained.
    `pick_assignee` refreshes the queue's rule and flag from its locked row, so the reason below
    describes what was decided."""
    assignee = pick_assignee(queue=queue, exclude=exclude) if queue is not None else None
    ticket.assignee = assignee
    ticket.status = Status.PENDING
    _touch(ticket, now, "assignee", "status")
    if assignee is not None:
        record_event(
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
    record_event(
        ticket=ticket,
        kind=EventKind.UNDISPATCHED,
        actor=None,
        after={"queue": _queue_ref(queue), "reason": code},
        note=reason,
        at=now,
    )


# --- create and edit ------------------------------------------------------------------------


def validate_catalog_entry(entry_id) -> CatalogEntry:
    """A live level-2 entry (filing needs one) whose parent is live too and whose dispatch queue
    exists and is enabled."""
    if entry_id is None or entry_id == "":
        raise ValidationFailed(_("请选择二级服务目录"), errors={"catalog_entry": [_("此项必填")]})
    entry = None
    pk = _int_or_none(entry_id)
    if pk is not None:
        entry = CatalogEntry.objects.select_related("parent", "queue").filter(pk=pk).first()
    if entry is None:
        raise ValidationFailed(_("服务目录不存在"), errors={"catalog_entry": [_("服务目录不存在")]})
    if entry.parent_id is None:
        raise ValidationFailed(
            _("请选择二级服务目录"), errors={"catalog_entry": [_("只能选择二级服务目录")]}
        )
    if entry.is_retired or entry.parent.is_retired:
        raise ValidationFailed(
            _("该服务目录已停用"), errors={"catalog_entry": [_("该服务目录已停用")]}
        )
    # No usable queue: a ticket filed now would sit in no one's pool. Refuse, and say why.
    if entry.queue is None:
        message = _("服务目录「%s」未绑定派单队列，暂时不能提交工单，请联系管理员") % entry.name
        raise ValidationFailed(message, errors={"catalog_entry": [message]})
    if not entry.queue.is_enabled:
        message = _(
            "服务目录「%(entry)s」的派单队列「%(queue)s」已停用，暂时不能提交工单，请联系管理员"
        ) % {"entry": entry.name, "queue": entry.queue.name}
        raise ValidationFailed(message, errors={"catalog_entry": [message]})
    return entry


def _validate_priority(value) -> str:
    if value is None or value == "":
        return Priority.L3
    if not isinstance(value, str) or value not in Priority.values:
        raise ValidationFailed(_("优先级不正确"), errors={"priority": [_("应为 L1、L2、L3 或 L4")]})
    return value


def _validate_custom_fields(value) -> dict:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValidationFailed(
            _("自定义字段格式不正确"), errors={"custom_fields": [_("应为以字段标识为键的对象")]}
        )
    return value


def _portal_contact(actor) -> bool:
    """External contacts signed in to the portal have no role; they may file portal tickets.
    Imported late: the portal app builds on tickets, not the other way round."""
    from andon.portal.selectors import is_portal_contact

    return is_portal_contact(actor)


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
    _require(
        has_perm(actor, "tickets.create") or (channel == Channel.PORTAL and _portal_contact(actor)),
        _("没有提交工单的权限"),
    )
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for key, check in (
        (
            "title",
            lambda: single_line(
                _text(title, "title", required=True, max_length=TITLE_MAX, label=_("标题")),
                "title",
                label=_("标题"),
            ),
        ),
        (
            "description",
            lambda: _text(
                description, "description", required=False, max_length=BODY_MAX, label=_("描述")
            ),
        ),
        ("priority", lambda: _validate_priority(priority)),
        ("catalog_entry", lambda: validate_catalog_entry(catalog_entry_id)),
        ("custom_fields", lambda: _filing_custom_fields(custom_fields, cleaned)),
    ):
        try:
            cleaned[key] = check()
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if not isinstance(channel, str) or channel not in Channel.values:
        errors["channel"] = [_("渠道不正确")]
    attachments = list(attachments or ())
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
    with _removing_files_on_error() as stored:
        return _create(
            actor=actor,
            cleaned=cleaned,
            entry=entry,
            requester=requester or actor,
            channel=channel,
            attachments=attachments,
            now=now,
            stored=stored,
        )


def _filing_custom_fields(values, cleaned: dict) -> dict:
    """Custom field values checked against the chosen entry's field templates. Files given under
    an attachment field's key are validated here and stored once the ticket exists."""
    values, files = field_validation.separate_uploads(values)
    values = _validate_custom_fields(values)
    entry = cleaned.get("catalog_entry")
    if entry is None:  # the entry is refused already; its fields cannot be checked
        return values
    errors: dict[str, list[str]] = {}
    for key, uploads in files.items():
        for upload in uploads:
            try:
                _validate_upload(upload)
            except ValidationFailed as exc:
                errors.setdefault(f"custom_fields.{key}", []).extend(exc.errors["attachments"])
    try:
        values = field_validation.clean_custom_fields(
            entry=entry, values=values, attachment_keys=frozenset(files)
        )
    except ValidationFailed as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    cleaned["custom_field_files"] = files
    return values


def _create(*, actor, cleaned, entry, requester, channel, attachments, now, stored) -> Ticket:
    field_files = cleaned.get("custom_field_files") or {}
    ticket = Ticket.objects.create(
        title=cleaned["title"],
        description=cleaned["description"],
        priority=cleaned["priority"],
        catalog_entry=entry,
        queue=entry.queue,
        requester=requester,
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
            "requester": _user_ref(requester),
            **({"attachments": [Path(u.name).name for u in attachments]} if attachments else {}),
            **({"custom_fields": ticket.custom_fields} if ticket.custom_fields else {}),
        },
        at=now,
    )
    for upload in attachments:
        _store_attachment(ticket=ticket, actor=actor, upload=upload, now=now, stored=stored)
    for key, uploads in field_files.items():
        ticket.custom_fields[key] = [
            _store_attachment(ticket=ticket, actor=actor, upload=u, now=now, stored=stored).pk
            for u in uploads
        ]
    if field_files:
        ticket.save(update_fields=["custom_fields"])
    _dispatch(ticket, entry.queue, now)
    return ticket


def _edited_custom_fields(ticket: Ticket, changes) -> dict:
    """The ticket's custom fields with `changes` applied: only the keys given are validated
    (against the current templates); every other stored value is kept exactly as it is."""
    values, cleared = field_validation.clean_custom_field_changes(
        entry=ticket.catalog_entry, changes=changes
    )
    merged = {k: v for k, v in (ticket.custom_fields or {}).items() if k not in cleared}
    merged.update(values)
    return merged


@transaction.atomic
def update_ticket(*, ticket_id, actor, **changes) -> Ticket:
    ticket = _locked(ticket_id, actor)
    _require(policies.may_edit(actor, ticket), _("没有修改此工单的权限"))
    _require_status(ticket, policies.editable_statuses(actor, ticket), _("修改"))
    unknown = set(changes) - {"title", "description", "priority", "custom_fields"}
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段"), errors={k: [_("不能修改")] for k in sorted(unknown)}
        )
    validators = {
        "title": lambda v: single_line(
            _text(v, "title", required=True, max_length=TITLE_MAX, label=_("标题")),
            "title",
            label=_("标题"),
        ),
        "description": lambda v: _text(
            v, "description", required=False, max_length=BODY_MAX, label=_("描述")
        ),
        "priority": lambda v: _validate_priority(v) if v not in (None, "") else ticket.priority,
        "custom_fields": lambda v: _edited_custom_fields(ticket, v),
    }
    cleaned, errors = {}, {}
    for field, value in changes.items():
        try:
            cleaned[field] = validators[field](value)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    before, after = {}, {}
    for field, value in cleaned.items():
        if getattr(ticket, field) != value:
            before[field] = getattr(ticket, field)
            after[field] = value
            setattr(ticket, field, value)
    if not after:
        return ticket
    now = timezone.now()
    _touch(ticket, now, *after)
    record_event(
        ticket=ticket, kind=EventKind.UPDATED, actor=actor, before=before, after=after, at=now
    )
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
        raise Conflict(_("工单已由 %s 处理") % ticket.assignee.name, code="already_claimed")
    now = timezone.now()
    before = {"assignee": _user_ref(ticket.assignee), "status": ticket.status}
    ticket.assignee = actor
    ticket.status = Status.PROCESSING
    _touch(ticket, now, "assignee", "status", *_mark_responded(ticket, now))
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
    if policies.is_assignee(actor, ticket):
        raise PermissionDenied(_("当前处理人不能催自己的工单"))
    _require(policies.can_urge(actor, ticket), _("没有催单的权限"))
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
        wait_minutes = max(1, math.ceil((window - (now - last)).total_seconds() / 60))
        raise RateLimited(_("催单太频繁，请 %s 分钟后再试") % wait_minutes, code="urge_too_soon")
    ticket.urge_count += 1
    _touch(ticket, now, "urge_count")
    record_event(
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
) -> Comment:
    ticket = _locked(ticket_id, actor)
    _require(policies.can_comment(actor, ticket), _("没有评论此工单的权限"))
    if is_internal:
        _require(policies.can_comment_internally(actor, ticket), _("只有处理方可以发表内部评论"))
    _require_status(ticket, _ANNOTATABLE_STATUSES, _("评论"))
    attachments = list(attachments or ())
    body = _text(body, "body", required=not attachments, max_length=BODY_MAX, label=_("评论内容"))
    for upload in attachments:
        _validate_upload(upload)
    now = timezone.now()
    with _removing_files_on_error() as stored:
        comment = Comment.objects.create(
            ticket=ticket, author=actor, body=body, is_internal=bool(is_internal), created_at=now
        )
        for upload in attachments:
            _store_attachment(
                ticket=ticket, actor=actor, upload=upload, now=now, comment=comment, stored=stored
            )
        responded = (
            _mark_responded(ticket, now)
            if not is_internal and _counts_as_response(actor, ticket)
            else []
        )
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
def reassign_ticket(*, ticket_id, actor, to_user, note: str = "") -> Ticket:
    """Hand an unfinished ticket to another person as it is — same queue, same status, timers
    running on — for handovers and deactivations (轻量交接). Managers only."""
    ticket = _locked(ticket_id, actor)
    _require(policies.is_manager(actor), _("只有工单管理员可以改派工单"))
    _require_status(ticket, UNFINISHED_STATUSES, _("改派"))
    note = _text(note, "note", required=False, max_length=BODY_MAX, label=_("说明"))
    if to_user is None or not to_user.is_active:
        raise ValidationFailed(
            _("接手人不存在或已停用"), errors={"to_user": [_("接手人不存在或已停用")]}
        )
    if ticket.assignee_id == to_user.pk:
        return ticket
    now = timezone.now()
    before = {"assignee": _user_ref(ticket.assignee), "status": ticket.status}
    ticket.assignee = to_user
    _touch(ticket, now, "assignee")
    record_event(
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
def transfer_ticket(*, ticket_id, actor, queue_id=None, assignee_id=None, note: str = "") -> Ticket:
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
    now = timezone.now()
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
    record_event(
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


def _int_or_none(value) -> int | None:
    """A database id from user input, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None


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
    record_event(
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


# --- attachments ----------------------------------------------------------------------------

_ANNOTATABLE_STATUSES = tuple(
    s for s in Status.values if s not in (Status.CLOSED, Status.CANCELLED)
)


def _allowed_extensions() -> set[str]:
    return {e.strip().lower().lstrip(".") for e in settings.ATTACHMENT_ALLOWED_EXTENSIONS}


@contextmanager
def _removing_files_on_error():
    """Files are written before the transaction commits; if the service fails after writing
    them, delete them again so a rolled-back ticket or comment leaves nothing on disk."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        storage = Attachment._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise


def _validate_upload(upload: UploadedFile) -> None:
    name = Path(upload.name or "").name
    extension = Path(name).suffix.lower().lstrip(".")
    if extension not in _allowed_extensions():
        message = _("不支持的附件类型：%s") % (extension or name)
        raise ValidationFailed(message, errors={"attachments": [message]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        message = _("附件「%(name)s」超过 %(mb)s MB") % {
            "name": name,
            "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }
        raise ValidationFailed(message, errors={"attachments": [message]})


def _store_attachment(*, ticket, actor, upload, now, stored: list, comment=None) -> Attachment:
    extension = "." + Path(upload.name).suffix.lower().lstrip(".")
    # The type is derived from the checked extension, never taken from the client.
    content_type = mimetypes.guess_type(f"file{extension}")[0] or "application/octet-stream"
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        uploaded_by=actor,
        token=secrets.token_hex(16),
        extension=extension,
        original_name=Path(upload.name).name[:255],
        size=upload.size,
        content_type=content_type[:100],
        created_at=now,
    )
    # Every check ran before this point; if a later step still fails, the caller's
    # `_removing_files_on_error` deletes the file again.
    attachment.file.save(f"{attachment.token}{extension}", upload, save=False)
    stored.append(attachment.file.name)
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(*, ticket_id, actor, upload: UploadedFile) -> Attachment:
    ticket = _locked(ticket_id, actor)
    _require(policies.can_comment(actor, ticket), _("没有上传附件的权限"))
    _require_status(ticket, _ANNOTATABLE_STATUSES, _("上传附件"))
    _validate_upload(upload)
    now = timezone.now()
    with _removing_files_on_error() as stored:
        attachment = _store_attachment(
            ticket=ticket, actor=actor, upload=upload, now=now, stored=stored
        )
        _touch(ticket, now)
        record_event(
            ticket=ticket,
            kind=EventKind.ATTACHED,
            actor=actor,
            after={
                "attachment": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
            },
            at=now,
        )
    return attachment
