"""Dispatch (which member of a queue gets a new ticket) and queue configuration."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import diff, record_audit
from andon.core import config_cache
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import line_error
from andon.queues.models import DispatchRule, Queue, QueueMembership
from andon.queues.selectors import dispatch_roster, queue_disable_impact


def pick_assignee(*, queue: Queue, exclude: Iterable[int] = (), now: datetime | None = None):
    """Return the member who should get the next ticket, or None to leave it in the pool.
    `exclude` holds user ids that must not get it (someone handing a ticket back to their queue).

    Must run inside the caller's transaction: the queue row is locked so that two tickets created
    at once never both read the same round-robin position (or the same loads). The rule and the
    enabled flag are read from the locked row and copied onto `queue`, so the caller explains an
    empty result from what was actually decided.
    """
    # No savepoint of its own: it would cost two statements per ticket, and a failure here fails
    # the caller's whole change anyway.
    with transaction.atomic(savepoint=False):
        locked = (
            Queue.objects.select_for_update(no_key=True)
            .only("is_enabled", "dispatch_rule", "last_assigned_id")
            .get(pk=queue.pk)
        )
        queue.is_enabled = locked.is_enabled
        queue.dispatch_rule = locked.dispatch_rule
        if not locked.is_enabled or locked.dispatch_rule == DispatchRule.MANUAL:
            return None
        least_loaded = locked.dispatch_rule == DispatchRule.LEAST_LOADED
        roster = dispatch_roster(locked, loads=least_loaded)
        excluded = set(exclude)
        candidates = [u for u in roster.candidates if u.pk not in excluded]
        if not candidates:
            return None
        if least_loaded:
            # Ties go to the member who joined first: a stable, explainable order.
            chosen = min(candidates, key=lambda user: user.open_count)
        else:
            chosen = _next_in_rotation(candidates, locked.last_assigned_id, roster.member_ids)
        Queue.objects.filter(pk=queue.pk).update(
            last_assigned=chosen, updated_at=now or timezone.now()
        )
        queue.last_assigned = chosen
        return chosen


def _next_in_rotation(candidates, last_id, all_member_ids):
    """The first available member after the last one served, in membership order.

    The place is kept in the full member list, not the available one: if B got the last ticket
    and then went unavailable, the next ticket goes to C (after B), not back to A."""
    available = {user.pk: user for user in candidates}
    if last_id in all_member_ids:
        start = all_member_ids.index(last_id) + 1
        for offset in range(len(all_member_ids)):
            member_id = all_member_ids[(start + offset) % len(all_member_ids)]
            if member_id in available:
                return available[member_id]
    # Nobody has had a ticket yet, or the last one left the queue: start from the top.
    return candidates[0]


# --- configuration ----------------------------------------------------------------------------

QUEUE_NAME_MAX = 25
QUEUE_DESCRIPTION_MAX = 2000


@transaction.atomic
def create_queue(
    *,
    actor,
    name: str,
    description: str = "",
    dispatch_rule: str = DispatchRule.ROUND_ROBIN,
    members: Iterable[int] = (),
) -> Queue:
    """Create a queue with its members (in the given order, which is the round-robin order).
    Raises PermissionDenied without `queues.manage`, ValidationFailed with per-field errors."""
    if not has_perm(actor, "queues.manage"):
        raise PermissionDenied(_("没有管理队列的权限"))
    errors: dict[str, list[str]] = {}

    name = name.strip() if isinstance(name, str) else name
    if not isinstance(name, str):
        errors["name"] = [_("队列名称应为文本")]
    elif not name:
        errors["name"] = [_("请填写队列名称")]
    elif problem := line_error(name, _("队列名称")):
        errors["name"] = [problem]
    elif len(name) > QUEUE_NAME_MAX:
        errors["name"] = [
            _("队列名称最多 %(max)s 个字符，当前 %(length)s 个")
            % {"max": QUEUE_NAME_MAX, "length": len(name)}
        ]
    elif Queue.objects.filter(name__iexact=name).exists():
        errors["name"] = [_("队列「%s」已存在") % name]

    description = "" if description is None else description
    if not isinstance(description, str):
        errors["description"] = [_("描述应为文本")]
    elif len(description.strip()) > QUEUE_DESCRIPTION_MAX:
        errors["description"] = [_("描述最多 %s 个字符") % QUEUE_DESCRIPTION_MAX]
    else:
        description = description.strip()

    if dispatch_rule in (None, ""):
        dispatch_rule = DispatchRule.ROUND_ROBIN
    if dispatch_rule not in DispatchRule.values:
        errors["dispatch_rule"] = [_("接单规则应为 %s 之一") % "、".join(DispatchRule.values)]

    wanted: list[int] = []
    for value in members or ():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors["members"] = [_("成员应为用户 id 列表")]
            break
        if value not in wanted:
            wanted.append(value)
    else:
        users = {
            user.pk: user for user in get_user_model().objects.filter(pk__in=wanted, is_active=True)
        }
        missing = [str(pk) for pk in wanted if pk not in users]
        if missing:
            errors["members"] = [_("用户不存在或已停用：%s") % ", ".join(missing)]

    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        with transaction.atomic():
            queue = Queue.objects.create(
                name=name, description=description, dispatch_rule=dispatch_rule
            )
    except IntegrityError:
        # Another request created the same name between the check and the insert.
        message = _("队列「%s」已存在") % name
        raise ValidationFailed(message, errors={"name": [message]}) from None
    QueueMembership.objects.bulk_create([QueueMembership(queue=queue, user_id=pk) for pk in wanted])
    config_cache.bump(config_cache.QUEUES)
    record_audit(actor=actor, action="create", obj=queue, changes=diff({}, _snapshot(queue)))
    return queue


# --- editing, disabling, enabling ----------------------------------------------------------------

UNSET = object()


class DisableNeedsConfirmation(Conflict):
    """Disabling would leave catalog entries without a usable queue; the caller must confirm.
    `entries` holds those entries so the API and the page can list them."""

    code = "confirmation_required"

    def __init__(self, detail: str, *, entries: list, errors: dict | None = None):
        super().__init__(detail, errors=errors)
        self.entries = entries


def _require_manager(actor) -> None:
    if not has_perm(actor, "queues.manage"):
        raise PermissionDenied(_("没有管理队列的权限"))


def _locked_queue(queue_id) -> Queue:
    """The queue row, locked for this transaction (dispatch locks the same row, so a member
    change never interleaves with a round-robin pick)."""
    pk = queue_id if isinstance(queue_id, int) and not isinstance(queue_id, bool) else None
    queue = Queue.objects.select_for_update(no_key=True).filter(pk=pk).first() if pk else None
    if queue is None:
        raise NotFound(_("队列不存在"))
    return queue


def _snapshot(queue: Queue) -> dict:
    members = list(
        QueueMembership.objects.filter(queue=queue)
        .order_by("id")
        .values_list("user__username", flat=True)
    )
    return {
        "name": queue.name,
        "description": queue.description,
        "dispatch_rule": queue.dispatch_rule,
        "is_enabled": queue.is_enabled,
        "members": members,
    }


def _clean_name(name, *, errors: dict, exclude_pk: int | None = None):
    name = name.strip() if isinstance(name, str) else name
    if not isinstance(name, str):
        errors["name"] = [_("队列名称应为文本")]
    elif not name:
        errors["name"] = [_("请填写队列名称")]
    elif len(name) > QUEUE_NAME_MAX:
        errors["name"] = [
            _("队列名称最多 %(max)s 个字符，当前 %(length)s 个")
            % {"max": QUEUE_NAME_MAX, "length": len(name)}
        ]
    elif Queue.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        errors["name"] = [_("队列「%s」已存在") % name]
    return name


def _clean_description(description, *, errors: dict):
    description = "" if description is None else description
    if not isinstance(description, str):
        errors["description"] = [_("描述应为文本")]
        return description
    description = description.strip()
    if len(description) > QUEUE_DESCRIPTION_MAX:
        errors["description"] = [_("描述最多 %s 个字符") % QUEUE_DESCRIPTION_MAX]
    return description


def _clean_members(members, *, errors: dict, keep: Iterable[int] = ()) -> list[int]:
    """Distinct user ids in the given order. People already in the queue (`keep`) may stay even
    if they were deactivated since; anyone newly added must be an active account."""
    if members is None:
        members = []
    if isinstance(members, str | bytes | dict) or not isinstance(members, Iterable):
        errors["members"] = [_("成员应为用户 id 列表")]
        return []
    wanted: list[int] = []
    for value in members:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors["members"] = [_("成员应为用户 id 列表")]
            return []
        if value not in wanted:
            wanted.append(value)
    keep = set(keep)
    new = [pk for pk in wanted if pk not in keep]
    found = set(
        get_user_model().objects.filter(pk__in=new, is_active=True).values_list("pk", flat=True)
    )
    missing = [str(pk) for pk in new if pk not in found]
    if missing:
        errors["members"] = [_("用户不存在或已停用：%s") % ", ".join(missing)]
    return wanted


def _set_members(queue: Queue, wanted: list[int]) -> None:
    """Make the membership exactly `wanted`. People who stay keep their place (and their join
    date) in the round-robin order; newcomers join at the end in the given order. If the member
    who got the last ticket leaves, `pick_assignee` restarts from the top."""
    current = set(QueueMembership.objects.filter(queue=queue).values_list("user_id", flat=True))
    removed = current - set(wanted)
    if removed:
        QueueMembership.objects.filter(queue=queue, user_id__in=removed).delete()
    QueueMembership.objects.bulk_create(
        [QueueMembership(queue=queue, user_id=pk) for pk in wanted if pk not in current]
    )


@transaction.atomic
def update_queue(
    *,
    actor,
    queue_id: int,
    name=UNSET,
    description=UNSET,
    dispatch_rule=UNSET,
    members=UNSET,
) -> Queue:
    """Change a queue's basic info, dispatch rule or members (only the arguments given).
    `members` is the complete new list of user ids. Audited with a before/after of every
    changed field."""
    _require_manager(actor)
    queue = _locked_queue(queue_id)
    before = _snapshot(queue)
    errors: dict[str, list[str]] = {}
    values = {}
    if name is not UNSET:
        values["name"] = _clean_name(name, errors=errors, exclude_pk=queue.pk)
    if description is not UNSET:
        values["description"] = _clean_description(description, errors=errors)
    if dispatch_rule is not UNSET:
        if dispatch_rule not in DispatchRule.values:
            errors["dispatch_rule"] = [_("接单规则应为 %s 之一") % "、".join(DispatchRule.values)]
        values["dispatch_rule"] = dispatch_rule
    wanted = None
    if members is not UNSET:
        current = QueueMembership.objects.filter(queue=queue).values_list("user_id", flat=True)
        wanted = _clean_members(members, errors=errors, keep=current)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)

    changed = [field for field, value in values.items() if getattr(queue, field) != value]
    for field in changed:
        setattr(queue, field, values[field])
    if changed:
        try:
            with transaction.atomic():
                queue.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            message = _("队列「%s」已存在") % values.get("name", queue.name)
            raise ValidationFailed(message, errors={"name": [message]}) from None
    if wanted is not None:
        _set_members(queue, wanted)
    changes = diff(before, _snapshot(queue))
    if changes:
        config_cache.bump(config_cache.QUEUES)
        record_audit(actor=actor, action="update", obj=queue, changes=changes)
    return queue


def _entry_names(entries) -> list[str]:
    return [str(entry) for entry in entries]


@transaction.atomic
def disable_queue(*, actor, queue_id: int, confirm: bool = False) -> Queue:
    """Disable a queue: new tickets are no longer dispatched to it and catalog entries bound to
    it refuse new tickets until rebound or until it is enabled again. If live catalog entries
    dispatch to it, the caller must pass `confirm=True` after showing them (otherwise
    DisableNeedsConfirmation, a 409, lists them). Disabling a disabled queue changes nothing."""
    _require_manager(actor)
    queue = _locked_queue(queue_id)
    if not queue.is_enabled:
        return queue
    affected = queue_disable_impact(queue)
    if affected and confirm is not True:
        message = _(
            "停用后以下 %(count)s 个服务目录将没有可用队列、无法提交新工单：%(names)s。"
            "请确认后再停用"
        ) % {"count": len(affected), "names": "、".join(_entry_names(affected))}
        raise DisableNeedsConfirmation(
            message,
            entries=affected,
            errors={"confirm": [_("请确认停用")], "catalog_entries": _entry_names(affected)},
        )
    queue.is_enabled = False
    queue.save(update_fields=["is_enabled", "updated_at"])
    changes = {"is_enabled": [True, False]}
    if affected:
        changes["catalog_entries_without_queue"] = [[], _entry_names(affected)]
    config_cache.bump(config_cache.QUEUES)
    record_audit(actor=actor, action="disable", obj=queue, changes=changes)
    return queue


@transaction.atomic
def enable_queue(*, actor, queue_id: int) -> Queue:
    """Re-enable a queue; the catalog entries bound to it can take tickets again."""
    _require_manager(actor)
    queue = _locked_queue(queue_id)
    if queue.is_enabled:
        return queue
    queue.is_enabled = True
    queue.save(update_fields=["is_enabled", "updated_at"])
    config_cache.bump(config_cache.QUEUES)
    record_audit(actor=actor, action="enable", obj=queue, changes={"is_enabled": [False, True]})
    return queue
