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


def dispatch_candidates(queue: Queue):
    """Members who can take a new ticket now: active accounts marked available."""
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
