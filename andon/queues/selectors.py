from django.db.models import Count, Q

from andon.queues.models import Queue, QueueMembership


def member_queue_ids(user) -> set[int]:
    """Ids of the queues this user belongs to (memoised on the user object for one request)."""
    cached = getattr(user, "_member_queue_ids", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False):
            cached = set()
        else:
            cached = set(
                QueueMembership.objects.filter(user=user).values_list("queue_id", flat=True)
            )
        user._member_queue_ids = cached
    return cached


def queue_list():
    return Queue.objects.annotate(
        member_count=Count("memberships", distinct=True),
    ).order_by("-is_enabled", "id")


def member_ids(queue: Queue) -> list[int]:
    """Every member's user id in the order they joined the queue (the round-robin order)."""
    return list(
        QueueMembership.objects.filter(queue=queue).order_by("id").values_list("user_id", flat=True)
    )


def dispatch_candidates(queue: Queue):
    """Members who can take a new ticket now: active accounts marked available, in the order they
    joined, each with `open_count` (their unfinished tickets in any queue)."""
    from andon.tickets.models import UNFINISHED_STATUSES

    return (
        queue.members.filter(is_active=True, is_available=True)
        .annotate(
            open_count=Count(
                "assigned_tickets",
                filter=Q(assigned_tickets__status__in=UNFINISHED_STATUSES),
            )
        )
        .order_by("queue_memberships__id")
    )
