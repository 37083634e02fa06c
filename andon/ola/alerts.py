"""Writing OLA alerts, a chunk of steps at a time (see andon/ola/engine.py "steps").

A chunk collects its alerts while its steps run and writes them together: the alert rows, their
ticket events (through the event pipeline, `tickets.events.record_events`) and so, by the
notifications subscriber (the one notification writer), the in-app rows and outbox copies — a
fixed number of statements however many steps the chunk holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from andon.notifications.recipients import is_reachable
from andon.ola.models import Alert, OlaTimer
from andon.queues.models import QueueMembership
from andon.tickets.events import record_events


@dataclass
class PendingAlert:
    timer: OlaTimer
    ticket: object
    level: int
    users: list
    kind: str


@dataclass
class Chunk:
    """What the steps of one transaction share: the time, the pool members of the tickets'
    queues (read once), and the alerts to write together at the end."""

    now: datetime
    members: dict[int, list] = field(default_factory=dict)
    alerts: list[PendingAlert] = field(default_factory=list)

    def load_members(self, queue_ids) -> None:
        wanted = set(queue_ids) - set(self.members)
        for queue_id in wanted:
            self.members[queue_id] = []
        if not wanted:
            return
        rows = (
            QueueMembership.objects.filter(queue_id__in=wanted, user__is_active=True)
            .select_related("user")
            .order_by("user_id")
        )
        for row in rows:
            self.members[row.queue_id].append(row.user)

    def owners(self, ticket) -> list:
        if ticket.assignee_id:
            return [ticket.assignee]
        if not ticket.queue_id:
            return []
        self.load_members([ticket.queue_id])
        return self.members[ticket.queue_id]

    def alert(self, timer, ticket, *, level: int, users, kind: str) -> None:
        self.alerts.append(PendingAlert(timer, ticket, level, list(users), kind))

    def write_alerts(self) -> None:
        write_alerts(self.alerts, self.now)
        self.alerts = []


def write_alerts(alerts: list[PendingAlert], now) -> None:
    """Record the alerts on their tickets and hand their recipients to notifications: each
    event names them and carries the delivery key "ola:<timer>:<level>", so the outbox copies
    are unique per (timer, level, recipient, channel) and a retried step never alerts twice."""
    if not alerts:
        return
    # Under the timers' row locks nobody else alerts these levels; the unique constraint is the
    # last guard. People already told at a level are not told again (a re-planned timer).
    already = set(
        Alert.objects.filter(
            timer_id__in={a.timer.pk for a in alerts}, level__in={a.level for a in alerts}
        ).values_list("timer_id", "level", "recipient_id")
    )
    rows, entries = [], []
    for a in alerts:
        timer = a.timer
        users = [u for u in a.users if is_reachable(u) and (timer.pk, a.level, u.pk) not in already]
        rows.extend(Alert(timer=timer, level=a.level, recipient=u, created_at=now) for u in users)
        timer.alerted_user_ids = sorted(set(timer.alerted_user_ids) | {u.pk for u in users})
        names = "、".join(u.name for u in users) or "（无人可通知）"
        metric = timer.get_metric_display()
        note = {
            "ola_warning": f"{metric}即将超时（{due_text(timer)}），已提醒 {names}",
            "ola_breached": f"{metric}已超时，已通知 {names}",
            "ola_escalated": f"{metric}超时升级到第 {a.level} 级，已通知 {names}",
        }[a.kind]
        entries.append(
            {
                "ticket": a.ticket,
                "kind": a.kind,
                "actor": None,
                "after": {
                    "metric": timer.metric,
                    "level": a.level,
                    "timer": timer.pk,
                    "recipients": [{"id": u.pk, "name": u.name} for u in users],
                    "alert": f"ola:{timer.pk}:{a.level}",
                },
                "note": note,
                "at": now,
            }
        )
    Alert.objects.bulk_create(rows, ignore_conflicts=True)
    record_events(entries)


def due_text(timer: OlaTimer) -> str:
    if timer.due_at is None:
        return ""
    return "截止 " + timezone.localtime(timer.due_at).strftime("%m-%d %H:%M")
