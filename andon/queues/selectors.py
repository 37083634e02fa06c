from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from andon.core import config_cache
from andon.queues import ports
from andon.queues.models import Queue, QueueMembership


def member_queue_ids(user) -> set[int]:
    """Ids of the queues this user belongs to (memoised on the user object for one request, and
    cached across requests until queue membership changes)."""
    cached = getattr(user, "_member_queue_ids", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False):
            cached = set()
        else:
            cached = set(
                config_cache.get(
                    config_cache.QUEUES,
                    ("member_of", user.pk),
                    lambda: frozenset(
                        QueueMembership.objects.filter(user=user).values_list("queue_id", flat=True)
                    ),
                    immutable=True,
                )
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


@dataclass
class Roster:
    member_ids: list[int]  # every member, in the order they joined (the round-robin order)
    candidates: list  # members who can take a new ticket now, in the same order


def dispatch_roster(queue: Queue, *, loads: bool = False) -> Roster:
    """The queue's members and which of them can take a new ticket now (active accounts marked
    available). One query; with `loads`, each candidate also gets `open_count` (their unfinished
    tickets in any queue) from a second one, which only the least-loaded rule needs."""
    memberships = list(
        QueueMembership.objects.filter(queue=queue).select_related("user").order_by("id")
    )
    candidates = [m.user for m in memberships if m.user.is_active and m.user.is_available]
    if loads and candidates:
        counts = dict(
            ports.unfinished_tickets()
            .filter(assignee__in=[u.pk for u in candidates])
            .values("assignee")
            .annotate(n=Count("id"))
            .values_list("assignee", "n")
        )
        for user in candidates:
            user.open_count = counts.get(user.pk, 0)
    return Roster(member_ids=[m.user_id for m in memberships], candidates=candidates)


def dispatch_candidates(queue: Queue) -> list:
    """Members who can take a new ticket now, in the order they joined, each with `open_count`."""
    return dispatch_roster(queue, loads=True).candidates


def queue_disable_impact(queue: Queue) -> list:
    """The live level-2 catalog entries that dispatch to `queue` and would be left without a
    usable queue if it were disabled (retired entries, or entries under a retired level-1, cannot
    take tickets anyway and are left out). Tree order, parents loaded."""
    return list(ports.dispatching_entries().filter(queue=queue))


def queue_overview():
    """Every queue for the configuration list, with member count, unfinished tickets and the
    number of live catalog entries dispatching to it. One query (counts are subqueries, so a
    busy queue does not multiply rows)."""

    def count_of(qs):
        counted = qs.order_by().values("queue_id").annotate(n=Count("id")).values("n")
        return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)

    return Queue.objects.annotate(
        member_count=count_of(QueueMembership.objects.filter(queue=OuterRef("pk"))),
        open_count=count_of(ports.unfinished_tickets().filter(queue=OuterRef("pk"))),
        entry_count=count_of(ports.dispatching_entries().filter(queue=OuterRef("pk"))),
    ).order_by("name", "id")


def queue_members_with_load(queue: Queue) -> list:
    """The queue's memberships in round-robin order, each user carrying `open_count` (unfinished
    tickets assigned to them in any queue) and `queue_open_count` (those in this queue). One
    query for the members and one for the counts, however many members there are."""
    memberships = list(
        QueueMembership.objects.filter(queue=queue).select_related("user").order_by("id")
    )
    user_ids = [m.user_id for m in memberships]
    totals: dict[int, int] = {}
    in_queue: dict[int, int] = {}
    if user_ids:
        rows = (
            ports.unfinished_tickets()
            .filter(assignee_id__in=user_ids)
            .values("assignee_id")
            .annotate(
                total=Count("id"),
                here=Count("id", filter=Q(queue=queue)),
            )
        )
        for row in rows:
            totals[row["assignee_id"]] = row["total"]
            in_queue[row["assignee_id"]] = row["here"]
    for membership in memberships:
        membership.user.open_count = totals.get(membership.user_id, 0)
        membership.user.queue_open_count = in_queue.get(membership.user_id, 0)
    return memberships


def people_search(query: str, *, exclude=(), limit: int = 20):
    """Active people whose username, name or e-mail contains `query` (for the member picker)."""
    from django.contrib.auth import get_user_model

    query = (query or "").strip()[:100]
    people = get_user_model().objects.filter(is_active=True).select_related("main_department")
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    exclude = [pk for pk in exclude if isinstance(pk, int)]
    if exclude:
        people = people.exclude(pk__in=exclude)
    return list(people.order_by("username")[:limit])
