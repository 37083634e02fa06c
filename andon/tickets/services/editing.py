"""Editing a ticket (修改): title, description, priority, catalog entry and custom fields, each
change recorded with its old and new value in one `updated` event.

Concurrent edits: every edit bumps `Ticket.version`, and the event records the versions before
and after. An editor who sends the version they started from (the page's form always does; the
API takes `version` or `If-Match`) gets a three-way merge: a field someone else changed since
that version is kept as they left it when this editor did not touch it (the value sent is the one
they saw), and refused with 409 when both changed it. Without a version the edit simply applies.

A new catalog entry is validated as filing would validate it, the custom fields are re-checked
against its templates, and when its queue differs the ticket moves there as a transfer does:
a `transferred` event closes the old queue's OLA timers and the new queue's rule dispatches it
(its `dispatched` event starts the new queue's timers)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from andon.core.validation import single_line
from andon.fields import validation as field_validation
from andon.tickets import events, policies
from andon.tickets.models import OPEN_STATUSES, EventKind, Status, Ticket, TicketEvent
from andon.tickets.services.common import (
    BODY_MAX,
    TITLE_MAX,
    _check,
    _dispatch,
    _int_or_none,
    _locked,
    _queue_ref,
    _text,
    _touch,
    _user_ref,
)
from andon.tickets.services.filing import _validate_priority, validate_catalog_entry

EDITABLE = ("title", "description", "priority", "catalog_entry", "custom_fields")


def _labels() -> dict[str, str]:
    return {
        "title": _("标题"),
        "description": _("描述"),
        "priority": _("优先级"),
        "catalog_entry": _("服务目录"),
        "custom_fields": _("自定义字段"),
    }


def _entry_ref(entry) -> dict:
    return {"id": entry.pk, "name": str(entry)}


def parse_version(value) -> int | None:
    """A version from a form, a body or an If-Match header (`"3"`, `W/"3"`, 3); None when none
    was sent. Anything else is bad input."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    number = _int_or_none(text) if not isinstance(value, bool) else None
    if number is None or number >= 2**31:
        raise ValidationFailed(
            _("版本号不正确"), errors={"version": [_("应为正整数（编辑开始时的版本号）")]}
        )
    return number


def _edits_since(ticket: Ticket, version: int) -> list[TicketEvent]:
    """The edits made after `version`, oldest first (each records the version it produced)."""
    return list(
        TicketEvent.objects.filter(
            ticket=ticket, kind=EventKind.UPDATED, after__version__gt=version
        ).order_by("id")
    )


def _flatten(values: dict) -> dict:
    """Edited values keyed by field, custom fields one key each ("custom_fields.<key>")."""
    flat = {}
    for field, value in values.items():
        if field == "catalog_entry" and isinstance(value, dict):
            flat[field] = value.get("id")
        elif field == "custom_fields" and isinstance(value, dict):
            for key, item in value.items():
                flat[f"custom_fields.{key}"] = item
        else:
            flat[field] = value
    return flat


def _changed_since(edits: list[TicketEvent]) -> dict[str, tuple]:
    """{field: (value at the editor's version, who changed it)} over the edits since."""
    changed: dict[str, tuple] = {}
    for edit in edits:
        before = _flatten(edit.before)
        after = _flatten(edit.after)
        for name in set(before) | set(after):
            if name == "version" or before.get(name) == after.get(name):
                continue
            changed.setdefault(name, (before.get(name), edit.actor))
    return changed


def _merge(ticket: Ticket, cleaned: dict, version: int) -> dict:
    """Drop what this editor left as they saw it but someone changed since; refuse (409) what
    both changed. Returns the changes to apply."""
    if version == ticket.version:
        return cleaned
    if version > ticket.version:
        raise Conflict(
            _("版本号 %(sent)s 比工单当前版本 %(current)s 还新，请刷新后重试")
            % {"sent": version, "current": ticket.version},
            code="edit_conflict",
        )
    changed = _changed_since(_edits_since(ticket, version))
    if not changed:
        return cleaned
    current = _flatten({f: _current(ticket, f) for f in cleaned})
    labels = _labels()
    merged = dict(cleaned)
    custom = dict(cleaned["custom_fields"]) if "custom_fields" in cleaned else None
    for name, value in _flatten(cleaned).items():
        if name not in changed:
            continue
        seen, who = changed[name]
        if value == seen:  # untouched by this editor: theirs stands
            if name.startswith("custom_fields."):
                key = name.split(".", 1)[1]
                if key in (ticket.custom_fields or {}):
                    custom[key] = ticket.custom_fields[key]
                else:
                    custom.pop(key, None)
            else:
                merged.pop(name, None)
            continue
        if value == current.get(name):
            continue  # both made the same change
        label = labels.get(name.split(".", 1)[0], name)
        if name.startswith("custom_fields."):
            label = f"{label}「{name.split('.', 1)[1]}」"
        who_name = who.name if who is not None else _("系统")
        raise Conflict(
            _("%(field)s在你编辑期间已被 %(who)s 修改，请刷新页面查看最新内容后再保存")
            % {"field": label, "who": who_name},
            code="edit_conflict",
            errors={name: [_("已被他人修改")]},
        )
    if custom is not None:
        merged["custom_fields"] = custom
    return merged


def _current(ticket: Ticket, field: str):
    if field == "catalog_entry":
        return ticket.catalog_entry_id
    return getattr(ticket, field)


def _clean(ticket: Ticket, actor, changes: dict) -> dict:
    """Every given field validated; all failures reported together."""
    entry = None
    errors: dict[str, list[str]] = {}
    if "catalog_entry" in changes and _int_or_none(changes["catalog_entry"]) not in (
        ticket.catalog_entry_id,
    ):
        if not policies.can_work(actor, ticket):
            raise PermissionDenied(_("只有当前处理人或工单管理员可以修改服务目录"))
        if ticket.status not in OPEN_STATUSES:
            raise Conflict(
                _("工单当前状态为「%s」，不能修改服务目录") % ticket.get_status_display(),
                code="invalid_transition",
            )
        try:
            entry = validate_catalog_entry(changes["catalog_entry"])
        except ValidationFailed as exc:
            errors.update(exc.errors)
    cleaned: dict = {}
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
    }
    for field, validate in validators.items():
        if field in changes:
            try:
                cleaned[field] = validate(changes[field])
            except ValidationFailed as exc:
                errors.update(exc.errors)
    if entry is not None:
        cleaned["catalog_entry"] = entry
    if entry is not None or "custom_fields" in changes:
        try:
            cleaned["custom_fields"] = _custom_fields(ticket, entry, changes.get("custom_fields"))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned


def _custom_fields(ticket: Ticket, entry, changes) -> dict:
    if entry is not None:
        return field_validation.clean_custom_fields_for_move(
            entry=entry, current=ticket.custom_fields or {}, changes=changes
        )
    # Only the keys given are validated (against the current templates); every other stored
    # value is kept exactly as it is.
    values, cleared = field_validation.clean_custom_field_changes(
        entry=ticket.catalog_entry, changes=changes
    )
    merged = {k: v for k, v in (ticket.custom_fields or {}).items() if k not in cleared}
    merged.update(values)
    return merged


@transaction.atomic
def update_ticket(*, ticket_id, actor, version=None, **changes) -> Ticket:
    ticket = _locked(ticket_id, actor)
    _check("edit", actor, ticket)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段"), errors={k: [_("不能修改")] for k in sorted(unknown)}
        )
    version = parse_version(version)
    cleaned = _clean(ticket, actor, changes)
    entry = cleaned.pop("catalog_entry", None)
    if entry is not None:
        cleaned["catalog_entry"] = entry.pk
    if version is not None:
        cleaned = _merge(ticket, cleaned, version)
    before, after = {}, {}
    for field, value in cleaned.items():
        if _current(ticket, field) != value:
            before[field] = _current(ticket, field)
            after[field] = value
    if not after:
        return ticket
    new_entry = entry if "catalog_entry" in after else None
    if new_entry is not None:
        before["catalog_entry"] = _entry_ref(ticket.catalog_entry)
        after["catalog_entry"] = _entry_ref(new_entry)
        ticket.catalog_entry = new_entry
    for field in ("title", "description", "priority", "custom_fields"):
        if field in after:
            setattr(ticket, field, after[field])
    before["version"], after["version"] = ticket.version, ticket.version + 1
    ticket.version += 1
    now = timezone.now()
    saved = [f for f in after if f != "version"] + ["version"]
    _touch(ticket, now, *saved)
    events.record_event(
        ticket=ticket, kind=EventKind.UPDATED, actor=actor, before=before, after=after, at=now
    )
    if new_entry is not None and new_entry.queue_id != ticket.queue_id:
        _move_to_queue(ticket, actor, new_entry.queue, now)
    return ticket


def _move_to_queue(ticket: Ticket, actor, queue, now) -> None:
    """The new entry dispatches elsewhere: a transfer to its queue, with a transfer's OLA rules."""
    before = {
        "queue": _queue_ref(ticket.queue),
        "assignee": _user_ref(ticket.assignee),
        "status": ticket.status,
    }
    previous_assignee = ticket.assignee_id
    ticket.queue = queue
    ticket.assignee = None
    ticket.status = Status.PENDING
    _touch(ticket, now, "queue", "assignee", "status")
    events.record_event(
        ticket=ticket,
        kind=EventKind.TRANSFERRED,
        actor=actor,
        before=before,
        after={
            "queue": _queue_ref(queue),
            "assignee": None,
            "status": ticket.status,
            "entry": True,
        },
        note=_("服务目录变更，转到队列「%s」") % queue.name,
        at=now,
    )
    # Whoever held it in the old queue is not dealt it straight back.
    _dispatch(ticket, queue, now, exclude={previous_assignee} - {None})
