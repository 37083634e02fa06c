"""Dispatch: which member of a queue gets a new ticket."""

from django.db import transaction

from andon.queues.models import DispatchRule, Queue
from andon.queues.selectors import dispatch_candidates, member_ids


def pick_assignee(*, queue: Queue):
    """Return the member who should get the next ticket, or None to leave it in the pool.

    Must run inside the caller's transaction: the queue row is locked so that two tickets created
    at once never both read the same round-robin position (or the same loads). The rule and the
    enabled flag are read from the locked row and copied onto `queue`, so the caller explains an
    empty result from what was actually decided.
    """
    with transaction.atomic():
        locked = Queue.objects.select_for_update().get(pk=queue.pk)
        queue.is_enabled = locked.is_enabled
        queue.dispatch_rule = locked.dispatch_rule
        if not locked.is_enabled or locked.dispatch_rule == DispatchRule.MANUAL:
            return None
        candidates = list(dispatch_candidates(locked))
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
