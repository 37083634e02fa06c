"""Ordinary ticket notifications. Written in the caller's transaction, one row per recipient per
event (a unique key), so a retried service call can never notify twice."""

from django.utils import timezone

from andon.notifications.models import Notification
from andon.queues.models import QueueMembership
from andon.tickets.models import EventKind, Ticket, TicketEvent

# Status changes the requester hears about.
_REQUESTER_KINDS = {
    EventKind.NEED_INFO,
    EventKind.RESOLVED,
    EventKind.CLOSED,
    EventKind.REOPENED,
    EventKind.CLAIMED,
}
_ASSIGNEE_KINDS = {
    EventKind.DISPATCHED,
    EventKind.URGED,
    EventKind.COMMENTED,
    EventKind.RESUMED,
    EventKind.CONFIRMED,
    EventKind.REOPENED,
    EventKind.CANCELLED,
    EventKind.UPDATED,
    EventKind.ATTACHED,
}


def recipients_for(event: TicketEvent, ticket: Ticket) -> set[int]:
    ids: set[int] = set()
    kind = event.kind
    internal = bool(event.after.get("internal"))
    if kind in _ASSIGNEE_KINDS and ticket.assignee_id:
        ids.add(ticket.assignee_id)
    if kind == EventKind.TRANSFERRED and ticket.assignee_id:
        ids.add(ticket.assignee_id)
    pool_kinds = (EventKind.UNDISPATCHED, EventKind.URGED, EventKind.TRANSFERRED)
    if kind in pool_kinds and ticket.assignee_id is None and ticket.queue_id:
        ids.update(
            QueueMembership.objects.filter(
                queue_id=ticket.queue_id, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    if kind in _REQUESTER_KINDS or (kind == EventKind.COMMENTED and not internal):
        ids.add(ticket.requester_id)
    ids.discard(event.actor_id)
    return ids


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
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
