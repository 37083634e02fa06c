"""Writes of canned replies (快捷回复) and their use on a ticket.

A personal reply belongs to its owner; a shared one to a queue, managed by holders of
`queues.manage` or `tickets.manage`. Applying one to a ticket posts its rendered text and makes
its other changes (priority, tags, a status change through the workflow) in one transaction,
each through the service a person would use: any refusal (say the ticket may not be resolved
now) leaves the ticket exactly as it was."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.core.validation import parse_id
from andon.macros import placeholders, selectors
from andon.macros.models import BODY_MAX, NAME_MAX, Macro, MacroStep
from andon.queues.models import Queue
from andon.queues.selectors import member_queue_ids
from andon.tags import services as tag_services
from andon.tickets import selectors as ticket_selectors
from andon.tickets import services as ticket_services
from andon.tickets.models import Priority

FIELDS = ("name", "body", "queue", "is_internal", "step", "priority", "tags")


def may_have_macros(user) -> bool:
    """Canned replies are a handler's tool."""
    return bool(getattr(user, "is_active", False)) and bool(
        has_perm(user, "tickets.handle")
        or has_perm(user, "tickets.manage")
        or member_queue_ids(user)
    )


def _text(value, field: str, label: str, *, max_length: int, required: bool) -> str:
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


def _clean(data: dict, *, partial: bool) -> dict:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationFailed(
            _("不支持的字段：%s") % "、".join(unknown),
            errors={k: [_("不支持的字段")] for k in unknown},
        )
    cleaned: dict = {}
    errors: dict = {}

    def take(field, check):
        if field in data or not partial:
            try:
                cleaned[field] = check(data.get(field))
            except ValidationFailed as exc:
                errors.update(exc.errors)

    take("name", lambda v: _text(v, "name", _("名称"), max_length=NAME_MAX, required=True))
    take("body", lambda v: _text(v, "body", _("回复内容"), max_length=BODY_MAX, required=False))
    take("is_internal", lambda v: _bool(v, "is_internal"))
    take("step", lambda v: _choice(v, "step", MacroStep.values, _("状态变更不正确")))
    take("priority", lambda v: _choice(v, "priority", ["", *Priority.values], _("优先级不正确")))
    take("tags", lambda v: tag_services.normalize_names(v) if v not in (None, "", []) else [])
    if "queue" in data or not partial:
        value = data.get("queue")
        if value in (None, ""):
            cleaned["queue"] = None
        else:
            queue = Queue.objects.filter(pk=parse_id(value)).first() if parse_id(value) else None
            if queue is None:
                errors["queue"] = [_("队列不存在")]
            cleaned["queue"] = queue
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned


def _bool(value, field: str) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "on", "0", "false", "off"):
        return value.lower() in ("1", "true", "on")
    raise ValidationFailed(_("应为是或否"), errors={field: [_("应为是或否")]})


def _choice(value, field: str, allowed, message: str) -> str:
    value = "" if value is None else value
    if not isinstance(value, str) or value not in allowed:
        raise ValidationFailed(
            message, errors={field: [_("可选：%s") % ", ".join(a or '""' for a in allowed)]}
        )
    return value


def _require_may_write(actor, queue) -> None:
    if not may_have_macros(actor) and not selectors.manages_shared(actor):
        raise PermissionDenied(_("没有使用快捷回复的权限"))
    if queue is not None and not selectors.manages_shared(actor):
        raise PermissionDenied(_("只有队列管理员可以管理共享的快捷回复"))


def _check_complete(values: dict) -> None:
    if values["step"] in (MacroStep.NEED_INFO, MacroStep.RESOLVE) and not values["body"]:
        raise ValidationFailed(
            _("要求补充或解决时，回复内容就是给提单人的说明，请填写"),
            errors={"body": [_("此项必填")]},
        )
    if values["step"] and values["is_internal"]:
        raise ValidationFailed(
            _("改变状态的回复会展示给提单人，不能是内部评论"),
            errors={"is_internal": [_("不能与状态变更同时使用")]},
        )


@transaction.atomic
def create_macro(*, actor, **data) -> Macro:
    values = _clean(data, partial=False)
    _require_may_write(actor, values["queue"])
    _check_complete(values)
    now = timezone.now()
    return Macro.objects.create(
        owner=None if values["queue"] else actor,
        created_by=actor,
        created_at=now,
        updated_at=now,
        **values,
    )


def _locked_own(actor, macro_id) -> Macro:
    macro = selectors.get_visible_macro(actor, macro_id)
    macro = Macro.objects.select_for_update().select_related("queue").get(pk=macro.pk)
    if macro.owner_id != actor.pk:
        _require_may_write(actor, macro.queue)
    return macro


@transaction.atomic
def update_macro(*, actor, macro_id, **data) -> Macro:
    macro = _locked_own(actor, macro_id)
    values = _clean(data, partial=True)
    if "queue" in values and values["queue"] != macro.queue:
        # Moving a reply between personal and shared (or queues) needs the rights on both sides.
        _require_may_write(actor, values["queue"])
        if values["queue"] is None:
            macro.owner = actor
        else:
            macro.owner = None
    for field, value in values.items():
        setattr(macro, field, value)
    _check_complete({f: getattr(macro, f) for f in ("step", "body", "is_internal")})
    macro.updated_at = timezone.now()
    macro.save()
    return macro


@transaction.atomic
def delete_macro(*, actor, macro_id) -> None:
    _locked_own(actor, macro_id).delete()


# --- use on a ticket --------------------------------------------------------------------------


def render_for(macro: Macro, *, ticket, actor) -> str:
    return placeholders.render(macro.body, placeholders.values_for(ticket, actor))


@transaction.atomic
def apply_macro(*, actor, ticket_id, macro_id, body: str | None = None, is_internal=None):
    """Post the macro's reply on the ticket and make its changes, all or nothing. `body` is the
    reply as the person edited it in the comment box (default: the macro rendered)."""
    macro = selectors.get_visible_macro(actor, macro_id)
    ticket = ticket_selectors.get_visible_ticket(actor, ticket_id)
    text = render_for(macro, ticket=ticket, actor=actor) if body is None else body
    if not isinstance(text, str):
        raise ValidationFailed(_("回复内容应为文本"), errors={"body": [_("应为文本")]})
    if not (text.strip() or macro.priority or macro.tags or macro.step):
        raise ValidationFailed(_("回复内容为空"), errors={"body": [_("此项必填")]})
    internal = macro.is_internal if is_internal is None else bool(is_internal)
    if macro.priority:
        ticket_services.update_ticket(ticket_id=ticket.pk, actor=actor, priority=macro.priority)
    if macro.tags:
        tag_services.add_tags(ticket_id=ticket.pk, actor=actor, names=macro.tags)
    if macro.step == MacroStep.NEED_INFO:
        ticket_services.request_info(ticket_id=ticket.pk, actor=actor, note=text)
    elif macro.step == MacroStep.RESOLVE:
        ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=actor, resolution=text)
    else:
        if (text or "").strip():
            ticket_services.add_comment(
                ticket_id=ticket.pk, actor=actor, body=text, is_internal=internal
            )
        if macro.step == MacroStep.CLOSE:
            ticket_services.close_ticket(ticket_id=ticket.pk, actor=actor)
    return ticket
