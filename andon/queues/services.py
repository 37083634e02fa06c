"""Dispatch (which member of a queue gets a new ticket) and queue configuration."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.queues.models import DispatchRule, Queue, QueueMembership
from andon.queues.selectors import dispatch_candidates, member_ids


def pick_assignee(*, queue: Queue, exclude: Iterable[int] = ()):
    """Return the member who should get the next ticket, or None to leave it in the pool.
    `exclude` holds user ids that must not get it (someone handing a ticket back to their queue).

    Must run inside the caller's transaction: the queue row is locked so that two tickets created
    at once never both read the same round-robin position (or the same loads). The rule and the
    enabled flag are read from the locked row and copied onto `queue`, so the caller explains an
    empty result from what was actually decided.
    """
    with transaction.atomic():
        locked = Queue.objects.select_for_update(no_key=True).get(pk=queue.pk)
        queue.is_enabled = locked.is_enabled
        queue.dispatch_rule = locked.dispatch_rule
        if not locked.is_enabled or locked.dispatch_rule == DispatchRule.MANUAL:
            return None
        excluded = set(exclude)
        candidates = [u for u in dispatch_candidates(locked) if u.pk not in excluded]
        if not candidates:
            return None
        if locked.dispatch_rule == DispatchRule.LEAST_LOADED:
            # Ties go to the member who joined first: a stable, explainable order.
            chosen = min(candidates, key=lambda user: user.open_count)
        else:
            chosen = _next_in_rotation(candidates, locked.last_assigned_id, member_ids(locked))
        locked.last_assigned = chosen
        locked.save(update_fields=["last_assigned", "updated_at"])
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
    return queue
