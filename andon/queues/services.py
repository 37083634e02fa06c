"""Dispatch: which member of a queue gets a new ticket."""

from django.db import transaction

from andon.queues.models import DispatchRule, Queue
from andon.queues.selectors import dispatch_candidates


def pick_assignee(*, queue: Queue):
    """Return the member who should get the next ticket, or None to leave it in the pool.

    Must run inside the caller's transaction: the queue row is locked so that two tickets created
    at once never both read the same round-robin position.
    """
    if not queue.is_enabled or queue.dispatch_rule == DispatchRule.MANUAL:
        return None
    with transaction.atomic():
        locked = Queue.objects.select_for_update().get(pk=queue.pk)
        candidates = list(dispatch_candidates(locked))
        if not candidates:
            return None
        if locked.dispatch_rule == DispatchRule.LEAST_LOADED:
            # Ties go to the member who joined first: a stable, explainable order.
            chosen = min(candidates, key=lambda user: user.open_count)
        else:
            chosen = _next_in_rotation(candidates, locked.last_assigned_id)
        locked.last_assigned = chosen
        locked.save(update_fields=["last_assigned", "updated_at"])
        queue.last_assigned = chosen
        return chosen


def _next_in_rotation(candidates, last_id):
    ids = [user.pk for user in candidates]
    if last_id in ids:
        return candidates[(ids.index(last_id) + 1) % len(candidates)]
    # Nobody has had a ticket yet, or the last one is unavailable now: start from the top.
    return candidates[0]
