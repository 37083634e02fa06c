"""Ordinary ticket notifications. Written in the caller's transaction, one row per recipient per
event (a unique key), so a retried service call can never notify twice.

Who hears what:
- the assignee: work arriving (dispatch, transfer to them), pressure (urge), and anything the
  other side does (comments, files, edits, resume, confirm, reopen, close, cancel);
- the queue's members, while the ticket sits in the pool with nobody assigned: the ticket
  arriving, urges, comments and files;
- the requester: every status change and every public comment;
- never the person who acted, never a deactivated account.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone

from andon.notifications.models import Notification
from andon.queues.models import QueueMembership
from andon.tickets.models import EventKind, Ticket, TicketEvent

_ASSIGNEE_KINDS = frozenset(
    {
        EventKind.DISPATCHED,
        EventKind.TRANSFERRED,
        EventKind.URGED,
        EventKind.COMMENTED,
        EventKind.ATTACHED,
        EventKind.UPDATED,
        EventKind.RESUMED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
    }
)
# A queue transfer is followed by its own dispatched/undispatched event, which tells the pool.
_POOL_KINDS = frozenset(
    {EventKind.UNDISPATCHED, EventKind.URGED, EventKind.COMMENTED, EventKind.ATTACHED}
)
# Status changes the requester hears about.
_REQUESTER_KINDS = frozenset(
    {
        EventKind.CLAIMED,
        EventKind.NEED_INFO,
        EventKind.RESUMED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
    }
)


def recipients_for(event: TicketEvent, ticket: Ticket) -> set[int]:
    ids: set[int] = set()
    kind = event.kind
    internal = bool(event.after.get("internal"))
    if kind in _ASSIGNEE_KINDS and ticket.assignee_id:
        ids.add(ticket.assignee_id)
    if kind in _POOL_KINDS and ticket.assignee_id is None and ticket.queue_id:
        ids.update(
            QueueMembership.objects.filter(queue_id=ticket.queue_id).values_list(
                "user_id", flat=True
            )
        )
    if kind in _REQUESTER_KINDS or (kind == EventKind.COMMENTED and not internal):
        ids.add(ticket.requester_id)
    ids.discard(event.actor_id)
    if not ids:
        return ids
    return set(
        get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
    )


def notify_for_event(*, event: TicketEvent, ticket: Ticket) -> list[Notification]:
    recipients = recipients_for(event, ticket)
    if not recipients:
        return []
    actor_name = event.actor.name if event.actor_id else "系统"
    title = f"{ticket.number} {event.get_kind_display()}：{ticket.title}"[:200]
    body = f"{actor_name} {event.get_kind_display()}"
    if event.note:
        body = f"{body}：{event.note[:500]}"
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user_id,
            ticket=ticket,
            event=event,
            kind=event.kind,
            title=title,
            body=body,
            created_at=now,
        )
        for user_id in sorted(recipients)
    ]
    return Notification.objects.bulk_create(rows, ignore_conflicts=True)


def mark_read(*, user, notification_ids=None) -> int:
    """Mark the user's unread notifications (all, or those ids) read; returns how many changed.
    Ids of other people's notifications are silently ignored."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        wanted = [int(v) for v in notification_ids if str(v).strip().isdigit()]
        qs = qs.filter(pk__in=wanted)
    return qs.update(read_at=timezone.now())
