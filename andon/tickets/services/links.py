"""Links between tickets (parent/child, related, duplicate-of) and merging a duplicate into its
original. Every change locks the tickets it touches in id order (two people linking the same
pair the other way round cannot deadlock) and records an event on both tickets."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.tickets import events, policies, selectors
from andon.tickets.link_models import LinkKind, TicketLink
from andon.tickets.models import Attachment, Comment, EventKind, Status, Ticket
from andon.tickets.services.common import BODY_MAX, _require_active, _text, _touch, _user_ref

# What a person picks on ticket T, and how it is stored: (kind, T is the source).
RELATIONS = {
    "parent": (LinkKind.PARENT, True),  # the other ticket is T's parent
    "child": (LinkKind.PARENT, False),  # the other ticket is T's child
    "related": (LinkKind.RELATED, None),  # symmetric: the smaller id is the source
    "duplicate_of": (LinkKind.DUPLICATE, True),  # T duplicates the other ticket
}
FINISHED = (Status.CLOSED, Status.CANCELLED)
# A parent chain longer than this is refused rather than walked forever.
MAX_DEPTH = 50
# Serialises parent-link writes on PostgreSQL: a cycle can be closed by two links added at once
# on disjoint pairs, which row locks on the pairs alone would not order.
PARENT_LOCK_KEY = 0x616E646F6E01

# Moving what else belongs to a merged ticket (watchers, collaborators, …). Each app that keeps
# per-ticket rows registers `move(*, source, target, actor, now) -> int` from its ready(); it runs
# in the merge's transaction, so a mover that raises rolls the whole merge back.
_merge_movers: dict[str, Callable] = {}


def register_merge_mover(name: str, move: Callable) -> None:
    _merge_movers[name] = move


def _ref(ticket: Ticket) -> dict:
    return {"id": ticket.pk, "number": ticket.number, "title": ticket.title[:80]}


def _may_link(user, ticket: Ticket) -> bool:
    return policies.is_handling_side(user, ticket)


def _lock_pair(actor, ticket_id, other_ref) -> tuple[Ticket, Ticket]:
    """Both tickets locked, in id order, each visible to `actor` (else 404)."""
    _require_active(actor)
    first_pk = selectors.ticket_pk(ticket_id)
    other_pk = selectors.ticket_pk(other_ref)
    if other_pk is None:
        raise ValidationFailed(
            _("请填写要关联的工单编号"), errors={"ticket": [_("应为工单编号，例如 AD-1042")]}
        )
    if first_pk is not None and first_pk == other_pk:
        raise ValidationFailed(
            _("不能关联工单自身"), errors={"ticket": [_("不能关联工单自身")]}, code="self_link"
        )
    ticket = selectors.get_visible_ticket(actor, first_pk)
    try:
        selectors.get_visible_ticket(actor, other_pk)
    except NotFound:
        message = _("要关联的工单不存在或无权查看")
        raise ValidationFailed(message, errors={"ticket": [message]}) from None
    locked = {
        pk: selectors.get_visible_ticket(actor, pk, for_update=True)
        for pk in sorted({ticket.pk, other_pk})
    }
    return locked[first_pk], locked[other_pk]


def _parent_of(ticket_id: int) -> int | None:
    return (
        TicketLink.objects.filter(source_id=ticket_id, kind=LinkKind.PARENT)
        .values_list("target_id", flat=True)
        .first()
    )


def _would_cycle(child_id: int, parent_id: int) -> bool:
    """Whether making `parent_id` the parent of `child_id` closes a loop: walk up from the new
    parent; meeting the child (or a chain too long to trust) means yes."""
    current, seen = parent_id, set()
    for _step in range(MAX_DEPTH):
        if current == child_id:
            return True
        if current in seen:
            return True  # an existing loop (cannot be written by us, refused all the same)
        seen.add(current)
        current = _parent_of(current)
        if current is None:
            return False
    return True


def _serialise_parent_links() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARENT_LOCK_KEY])


@transaction.atomic
def link_tickets(*, ticket_id, actor, other, relation: str, note: str = "") -> TicketLink:
    if relation not in RELATIONS:
        raise ValidationFailed(
            _("关联类型不正确"),
            errors={"relation": [_("应为 parent、child、related 或 duplicate_of")]},
        )
    kind, ticket_is_source = RELATIONS[relation]
    if kind == LinkKind.PARENT:
        _serialise_parent_links()
    ticket, other_ticket = _lock_pair(actor, ticket_id, other)
    if not _may_link(actor, ticket):
        raise PermissionDenied(_("只有处理方可以关联工单"))
    note = _text(note, "note", required=False, max_length=500, label=_("说明"))
    if ticket_is_source is None:
        source, target = sorted((ticket, other_ticket), key=lambda t: t.pk)
    elif ticket_is_source:
        source, target = ticket, other_ticket
    else:
        source, target = other_ticket, ticket
    existing = TicketLink.objects.filter(
        source__in=(source, target), target__in=(source, target)
    ).first()
    if existing is not None:
        raise Conflict(_("这两张工单已经关联"), code="already_linked")
    if kind == LinkKind.PARENT:
        if TicketLink.objects.filter(source=source, kind=LinkKind.PARENT).exists():
            raise Conflict(
                _("工单 %s 已有父工单，请先取消原关联") % source.number, code="has_parent"
            )
        if _would_cycle(source.pk, target.pk):
            raise Conflict(_("不能形成循环的父子关系"), code="parent_cycle")
    if (
        kind == LinkKind.DUPLICATE
        and TicketLink.objects.filter(source=source, kind=LinkKind.DUPLICATE).exists()
    ):
        raise Conflict(_("工单 %s 已标记为重复") % source.number, code="already_duplicate")
    now = timezone.now()
    try:
        with transaction.atomic():
            link = TicketLink.objects.create(
                source=source, target=target, kind=kind, created_by=actor, created_at=now
            )
    except IntegrityError:  # the constraints are the last word on a race the checks missed
        raise Conflict(_("这两张工单已经关联"), code="already_linked") from None
    _record_link(EventKind.LINKED, link, actor, now, note=note)
    return link


def _record_link(kind: str, link: TicketLink, actor, now, *, note: str = "") -> None:
    """One event on each end, saying what the other ticket is to this one."""
    for this, other, role in (
        (link.source, link.target, "source"),
        (link.target, link.source, "target"),
    ):
        _touch(this, now)
        events.record_event(
            ticket=this,
            kind=kind,
            actor=actor,
            after={"link": link.pk, "kind": link.kind, "role": role, "ticket": _ref(other)},
            note=note,
            at=now,
        )


@transaction.atomic
def unlink_tickets(*, ticket_id, actor, link_id) -> None:
    ticket = selectors.get_visible_ticket(actor, ticket_id)
    link_pk = selectors.ticket_pk(link_id) or 0
    link = TicketLink.objects.filter(pk=link_pk).filter(Q(source=ticket) | Q(target=ticket)).first()
    if link is None:
        raise NotFound(_("关联不存在"))
    source, target = _lock_pair(actor, link.source_id, link.target_id)
    if not _may_link(actor, ticket):
        raise PermissionDenied(_("只有处理方可以取消关联"))
    link = TicketLink.objects.select_for_update().filter(pk=link.pk).first()
    if link is None:
        raise NotFound(_("关联不存在"))
    if link.kind == LinkKind.DUPLICATE and source.status in FINISHED and _merged(source):
        raise Conflict(_("已合并的工单不能取消重复关联"), code="merged")
    link.source, link.target = source, target
    _record_link(EventKind.UNLINKED, link, actor, timezone.now())
    link.delete()


def _merged(ticket: Ticket) -> bool:
    return ticket.events.filter(kind=EventKind.CLOSED, after__has_key="merged_into").exists()


@transaction.atomic
def merge_ticket(*, ticket_id, actor, into, note: str = "") -> Ticket:
    """Merge a duplicate into its original: its comments, files and everything the registered
    movers keep (watchers, collaborators) move to the original, and the duplicate is closed
    with a pointer to it. All or nothing: one transaction, both tickets locked."""
    duplicate, original = _lock_pair(actor, ticket_id, into)
    if not policies.is_handling_side(actor, duplicate):
        raise PermissionDenied(_("只有处理方可以合并工单"))
    if not policies.is_handling_side(actor, original):
        raise PermissionDenied(_("没有处理目标工单的权限，不能合并到它"))
    note = _text(note, "note", required=False, max_length=BODY_MAX, label=_("合并说明"))
    if duplicate.status in FINISHED:
        raise Conflict(
            _("工单当前状态为「%s」，不能合并") % duplicate.get_status_display(),
            code="invalid_transition",
        )
    if original.status in FINISHED:
        raise Conflict(
            _("目标工单 %(number)s 已%(status)s，不能合并到它")
            % {"number": original.number, "status": original.get_status_display()},
            code="target_finished",
        )
    existing = TicketLink.objects.filter(source=duplicate, kind=LinkKind.DUPLICATE).first()
    if existing is not None and existing.target_id != original.pk:
        raise Conflict(_("工单已标记为另一张工单的重复"), code="already_duplicate")
    now = timezone.now()
    comment_ids = list(Comment.objects.filter(ticket=duplicate).values_list("pk", flat=True))
    attachment_ids = list(Attachment.objects.filter(ticket=duplicate).values_list("pk", flat=True))
    Comment.objects.filter(pk__in=comment_ids).update(ticket=original)
    Attachment.objects.filter(pk__in=attachment_ids).update(ticket=original)
    moved = {"comments": len(comment_ids), "attachments": len(attachment_ids)}
    for name, move in _merge_movers.items():
        moved[name] = move(source=duplicate, target=original, actor=actor, now=now)
    # The pair may already be linked another way (related, parent): the duplicate link replaces it.
    TicketLink.objects.filter(
        source__in=(duplicate, original), target__in=(duplicate, original)
    ).exclude(source=duplicate, kind=LinkKind.DUPLICATE).delete()
    if existing is None:
        TicketLink.objects.create(
            source=duplicate,
            target=original,
            kind=LinkKind.DUPLICATE,
            created_by=actor,
            created_at=now,
        )
    before = {"status": duplicate.status}
    duplicate.status = Status.CLOSED
    duplicate.closed_at = now
    _touch(duplicate, now, "status", "closed_at")
    pointer = _("已合并到 %s") % original.number
    events.record_event(
        ticket=duplicate,
        kind=EventKind.CLOSED,
        actor=actor,
        before=before,
        after={"status": Status.CLOSED, "merged_into": _ref(original), "moved": moved},
        note=f"{pointer}：{note}" if note else pointer,
        at=now,
    )
    _touch(original, now)
    events.record_event(
        ticket=original,
        kind=EventKind.MERGED,
        actor=actor,
        after={
            "merged_from": _ref(duplicate),
            "comments": comment_ids,
            "attachments": attachment_ids,
            "moved": moved,
            "by": _user_ref(actor),
        },
        note=note,
        at=now,
    )
    return original
