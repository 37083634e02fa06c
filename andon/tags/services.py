"""Every write to tags. Tagging a ticket goes through the ticket's row lock and records one
`updated` event with the tag names before and after, like any other edit of the ticket, so the
activity log, notifications and the after-commit fan-out see it. Renaming and merging are the
admins' (`tags.manage`); a merge rewrites the tickets it touches and logs each of them."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import parse_id
from andon.tags.models import NAME_MAX, Tag, TicketTag
from andon.tags.policies import may_tag
from andon.tickets import events, selectors
from andon.tickets.models import EventKind, Ticket

TAGS_PER_TICKET = 20
TAGS_PER_REQUEST = 20
# Commas separate tags in filters and inputs; control characters never belong in a label.
_FORBIDDEN = re.compile(r"[,，\x00-\x1f\x7f]")


def normalize_name(value, *, field: str = "name") -> str:
    if not isinstance(value, str):
        raise ValidationFailed(_("标签名称应为文本"), errors={field: [_("应为文本")]})
    name = " ".join(value.split())
    if not name:
        raise ValidationFailed(_("请填写标签名称"), errors={field: [_("此项必填")]})
    if len(name) > NAME_MAX:
        message = _("标签名称不能超过 %s 个字符") % NAME_MAX
        raise ValidationFailed(message, errors={field: [message]})
    if _FORBIDDEN.search(name):
        message = _("标签名称不能包含逗号或控制字符")
        raise ValidationFailed(message, errors={field: [message]})
    return name


def normalize_names(values, *, field: str = "tags") -> list[str]:
    """A list of tag names (or one comma-separated string), cleaned, without duplicates."""
    if isinstance(values, str):
        values = [part for part in re.split(r"[,，]", values) if part.strip()]
    if not isinstance(values, list | tuple):
        raise ValidationFailed(_("标签应为名称列表"), errors={field: [_("应为列表")]})
    if len(values) > TAGS_PER_REQUEST:
        message = _("一次最多 %s 个标签") % TAGS_PER_REQUEST
        raise ValidationFailed(message, errors={field: [message]})
    names: dict[str, str] = {}
    for value in values:
        name = normalize_name(value, field=field)
        names.setdefault(name.lower(), name)
    if not names:
        raise ValidationFailed(_("请填写标签名称"), errors={field: [_("此项必填")]})
    return list(names.values())


def _find(name: str) -> Tag | None:
    return Tag.objects.annotate(lower=Lower("name")).filter(lower=name.lower()).first()


def get_or_create_tag(*, name: str, actor) -> Tag:
    """The tag called `name` (any letter case), created when missing. Two people creating the
    same new tag at once both end up with the one row the unique constraint lets through."""
    tag = _find(name)
    if tag is not None:
        return tag
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name, created_by=actor, created_at=timezone.now())
    except IntegrityError:
        tag = _find(name)
        if tag is None:
            raise
        return tag


def _names_of(ticket: Ticket) -> list[str]:
    return sorted(
        TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True),
        key=str.lower,
    )


def _locked_taggable(ticket_id, actor) -> Ticket:
    if not getattr(actor, "is_active", False):
        raise PermissionDenied(_("账号未登录或已停用"))
    ticket = selectors.get_visible_ticket(actor, ticket_id, for_update=True)
    if not may_tag(actor, ticket):
        raise PermissionDenied(_("只有处理此工单的人可以修改标签"))
    return ticket


def _record(ticket: Ticket, actor, before: list[str], now, note: str = "") -> None:
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    events.record_event(
        ticket=ticket,
        kind=EventKind.UPDATED,
        actor=actor,
        before={"tags": before},
        after={"tags": _names_of(ticket)},
        note=note,
        at=now,
    )


@transaction.atomic
def add_tags(*, ticket_id, actor, names) -> list[Tag]:
    """Tag the ticket with `names`, creating tags that do not exist yet; returns the ticket's
    tags. Tags it already has are left as they are (no event when nothing changed)."""
    ticket = _locked_taggable(ticket_id, actor)
    cleaned = normalize_names(names)
    before = _names_of(ticket)
    have = {name.lower() for name in before}
    new = [name for name in cleaned if name.lower() not in have]
    if len(before) + len(new) > TAGS_PER_TICKET:
        message = _("每个工单最多 %s 个标签") % TAGS_PER_TICKET
        raise ValidationFailed(message, errors={"tags": [message]})
    if new:
        now = timezone.now()
        for name in new:
            tag = get_or_create_tag(name=name, actor=actor)
            TicketTag.objects.get_or_create(
                ticket=ticket, tag=tag, defaults={"added_by": actor, "added_at": now}
            )
        _record(ticket, actor, before, now)
    return list(Tag.objects.filter(ticket_links__ticket=ticket).order_by(Lower("name")))


@transaction.atomic
def remove_tag(*, ticket_id, actor, tag_id) -> None:
    ticket = _locked_taggable(ticket_id, actor)
    pk = parse_id(tag_id)
    link = TicketTag.objects.filter(ticket=ticket, tag_id=pk).first() if pk else None
    if link is None:
        raise NotFound(_("工单没有这个标签"))
    before = _names_of(ticket)
    link.delete()
    _record(ticket, actor, before, timezone.now())


# --- administration (tags.manage) -------------------------------------------------------------


def _require_manager(actor) -> None:
    if not (getattr(actor, "is_active", False) and has_perm(actor, "tags.manage")):
        raise PermissionDenied(_("没有管理标签的权限"))


def _locked_tag(tag_id) -> Tag:
    pk = parse_id(tag_id)
    tag = Tag.objects.select_for_update().filter(pk=pk).first() if pk else None
    if tag is None:
        raise NotFound(_("标签不存在"))
    return tag


@transaction.atomic
def create_tag(*, actor, name) -> Tag:
    """A tag made ahead of use. Anyone who handles tickets may, as they may when tagging."""
    if not (
        getattr(actor, "is_active", False)
        and (has_perm(actor, "tickets.handle") or has_perm(actor, "tags.manage"))
    ):
        raise PermissionDenied(_("没有创建标签的权限"))
    name = normalize_name(name)
    if _find(name) is not None:
        raise Conflict(_("标签「%s」已存在") % name, code="duplicate")
    return get_or_create_tag(name=name, actor=actor)


@transaction.atomic
def rename_tag(*, actor, tag_id, name) -> Tag:
    """Renaming keeps every ticket's tag; the log shows names as they were when recorded."""
    _require_manager(actor)
    tag = _locked_tag(tag_id)
    name = normalize_name(name)
    clash = _find(name)
    if clash is not None and clash.pk != tag.pk:
        raise Conflict(
            _("标签「%s」已存在；要把两个标签变成一个，请使用合并") % clash.name, code="duplicate"
        )
    if tag.name != name:
        tag.name = name
        try:
            with transaction.atomic():
                tag.save(update_fields=["name"])
        except IntegrityError:
            raise Conflict(_("标签「%s」已存在") % name, code="duplicate") from None
    return tag


@transaction.atomic
def merge_tags(*, actor, source_id, target_id) -> Tag:
    """Move every ticket of `source` to `target` and delete `source`. Each ticket that changes
    is locked and gets its own `updated` event; tickets that had both keep one."""
    _require_manager(actor)
    source_pk, target_pk = parse_id(source_id), parse_id(target_id)
    if source_pk is None or target_pk is None:
        raise ValidationFailed(_("请选择要合并到的标签"), errors={"into": [_("此项必填")]})
    if source_pk == target_pk:
        raise ValidationFailed(_("不能把标签合并到它自己"), errors={"into": [_("不能合并到自己")]})
    # Both rows locked in id order, so two merges of the same pair cannot deadlock.
    locked = {
        t.pk: t
        for t in Tag.objects.select_for_update()
        .filter(pk__in=[source_pk, target_pk])
        .order_by("pk")
    }
    source, target = locked.get(source_pk), locked.get(target_pk)
    if source is None or target is None:
        raise NotFound(_("标签不存在"))
    now = timezone.now()
    ticket_ids = list(
        TicketTag.objects.filter(tag=source)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
    )
    note = _("标签「%(source)s」合并到「%(target)s」") % {
        "source": source.name,
        "target": target.name,
    }
    for ticket in (
        Ticket.objects.select_for_update(no_key=True).filter(pk__in=ticket_ids).order_by("pk")
    ):
        before = _names_of(ticket)
        if not TicketTag.objects.filter(ticket=ticket, tag=target).exists():
            TicketTag.objects.create(ticket=ticket, tag=target, added_by=actor, added_at=now)
        TicketTag.objects.filter(ticket=ticket, tag=source).delete()
        _record(ticket, actor, before, now, note=note)
    source.delete()
    return target


@transaction.atomic
def delete_tag(*, actor, tag_id) -> None:
    """Only an unused tag is deleted; a used one is merged or its tickets untagged first, so no
    ticket loses a label without an event in its log."""
    _require_manager(actor)
    tag = _locked_tag(tag_id)
    if TicketTag.objects.filter(tag=tag).exists():
        raise Conflict(_("标签「%s」仍有工单在用，请先合并到其他标签") % tag.name, code="in_use")
    tag.delete()
