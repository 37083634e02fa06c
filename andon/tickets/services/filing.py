"""Filing tickets: validation of catalog entry, priority and custom fields (editing is in
`editing`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.catalog import selectors as catalog_selectors
from andon.catalog.models import CatalogEntry
from andon.core.errors import (
    ValidationFailed,
)
from andon.core.validation import single_line
from andon.fields import validation as field_validation
from andon.tickets import events, origins, policies
from andon.tickets.models import (
    Channel,
    EventKind,
    Priority,
    Status,
    Ticket,
)
from andon.tickets.services.attachments import (
    _removing_files_on_error,
    _store_attachment,
    _validate_upload,
)
from andon.tickets.services.common import (
    BODY_MAX,
    TITLE_MAX,
    _int_or_none,
    _pick,
    _record_dispatch,
    _require,
    _text,
    _user_ref,
)

User = get_user_model()

# --- create and edit ------------------------------------------------------------------------


def validate_catalog_entry(entry_id) -> CatalogEntry:
    """A live level-2 entry (filing needs one) whose parent is live too and whose dispatch queue
    exists and is enabled."""
    if entry_id is None or entry_id == "":
        raise ValidationFailed(_("请选择二级服务目录"), errors={"catalog_entry": [_("此项必填")]})
    entry = None
    pk = _int_or_none(entry_id)
    if pk is not None:
        entry = catalog_selectors.entry_for_filing(pk)
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


def _requester(value, actor):
    """The person filed for: a user, an id, or None (the actor). Filing for someone else needs
    handling rights."""
    if value is None or value == "":
        return actor
    if not isinstance(value, User):
        pk = _int_or_none(value)
        value = User.objects.filter(pk=pk).first() if pk else None
        if value is None:
            raise ValidationFailed(_("用户不存在"), errors={"requester": [_("用户不存在")]})
    if value.pk != actor.pk:
        if not (has_perm(actor, "tickets.handle") or has_perm(actor, "tickets.manage")):
            raise ValidationFailed(
                _("没有代他人提交工单的权限"), errors={"requester": [_("没有代他人提交工单的权限")]}
            )
        if not value.is_active:
            raise ValidationFailed(_("提单人已停用"), errors={"requester": [_("提单人已停用")]})
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
    origin: dict | None = None,
    channel: str | None = None,
    custom_fields: dict | None = None,
    attachments: Iterable[UploadedFile] = (),
    created_at=None,
) -> Ticket:
    """The one door for filing. Every surface (desk form, API, portal, chat sidebar, inbound
    channels) is an adapter that passes what it got, and its `origin` (`andon.tickets.origins`):
    all checks run here, once, and every failing field is reported together. The origin is
    recorded before, and summarised in, the `created` event. `channel` defaults to the origin's."""
    kind = origin.get("kind") if isinstance(origin, dict) else "web" if origin is None else None
    _require(
        has_perm(actor, "tickets.create") or origins.admits(kind, actor),
        _("没有提交工单的权限"),
    )
    if channel is None:
        channel = origins.DEFAULT_CHANNELS.get(kind, "")
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
        ("requester", lambda: _requester(requester, actor)),
        ("origin", lambda: origins.clean(actor, origin)),
    ):
        try:
            cleaned[key] = check()
        except ValidationFailed as exc:
            errors.update(exc.errors or {key: [exc.detail]})
    if not isinstance(channel, str) or channel not in Channel.values:
        errors["channel"] = [_("渠道不正确")]
    attachments = list(attachments or ())
    for upload in attachments:
        try:
            _validate_upload(upload)
        except ValidationFailed as exc:
            errors.setdefault("attachments", []).extend(exc.errors["attachments"])
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
            requester=cleaned["requester"],
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
    # The assignee is chosen first so that the new row carries it (no second write of the row);
    # the dispatch event still follows the created one.
    assignee = _pick(entry.queue)
    ticket = Ticket.objects.create(
        title=cleaned["title"],
        description=cleaned["description"],
        priority=cleaned["priority"],
        catalog_entry=entry,
        queue=entry.queue,
        requester=requester,
        created_by=actor,
        assignee=assignee,
        status=Status.PENDING,
        channel=channel,
        custom_fields=cleaned["custom_fields"],
        created_at=now,
        updated_at=now,
    )
    policies.know_nobody_is_around(ticket)
    origin = cleaned["origin"]
    origins.record(ticket, origin)  # before the created event: its subscribers find the rows
    events.record_event(
        ticket=ticket,
        kind=EventKind.CREATED,
        actor=actor,
        after={
            "title": ticket.title,
            "priority": ticket.priority,
            "catalog_entry": {"id": entry.pk, "name": str(entry)},
            "channel": channel,
            "origin": origin.event,
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
    _record_dispatch(ticket, entry.queue, now)
    return ticket
