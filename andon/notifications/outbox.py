"""The outbox: external deliveries (e-mail, WeCom, webhooks) written in the same transaction as
what caused them, then sent by the worker with retries and backoff.

Enqueueing is idempotent through `OutboxMessage.key`. A send is claimed in a short transaction
(SKIP LOCKED on PostgreSQL) so two workers never send the same message, made with no transaction
open, and recorded in another short one; a worker that dies mid-send leaves the row pending and
the sweeper sends it again once the claim's lease runs out.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from andon.notifications import channels as senders
from andon.notifications.channels import DeliveryError
from andon.notifications.models import (
    Channel,
    ChannelPreference,
    DeliveryAttempt,
    Notification,
    OutboxMessage,
)
from andon.notifications.selectors import active_webhooks

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Claims whose worker died before recording a result, after which a message is given up.
MAX_UNRECORDED_CLAIMS = 3
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
# WeCom allows 30 application messages a minute to one member.
WECOM_PER_MINUTE = 30


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)))


def ticket_url(ticket) -> str:
    return f"{settings.SITE_URL}/tickets/{ticket.pk}/"


# --- choosing channels ------------------------------------------------------------------------


def enabled_channels(users) -> dict[int, set[str]]:
    """{user id: external channels} by each person's preferences and what they can receive."""
    users = list(users)
    prefs: dict[tuple[int, str], bool] = {
        (p.user_id, p.channel): p.enabled
        for p in ChannelPreference.objects.filter(user__in=[u.pk for u in users])
    }
    result = {}
    # Asked at most once, and only when someone could receive it (it may read the stored
    # WeCom connection from the database).
    wecom_available = None
    for user in users:
        channels = set()
        if user.email and prefs.get((user.pk, Channel.EMAIL), True):
            channels.add(Channel.EMAIL)
        if user.wecom_userid and prefs.get((user.pk, Channel.WECOM), True):
            if wecom_available is None:
                wecom_available = senders.available(Channel.WECOM)
            if wecom_available:
                channels.add(Channel.WECOM)
        result[user.pk] = channels
    return result


def reachable_channels(user_ids) -> dict[int, set[str]]:
    """{user id: external channels} for those of `user_ids` who may be notified at all
    (`recipients.reachable_users`), by their preferences, in one query: what a ticket event's
    notifications need to know about their recipients."""
    from andon.notifications.recipients import reachable_users

    def chosen(channel):
        prefs = ChannelPreference.objects.filter(user=OuterRef("pk"), channel=channel)
        return Subquery(prefs.values("enabled")[:1])

    rows = (
        reachable_users(user_ids)
        .annotate(email_on=chosen(Channel.EMAIL), wecom_on=chosen(Channel.WECOM))
        .values_list("pk", "email", "wecom_userid", "email_on", "wecom_on")
    )
    result = {}
    wecom_available = None  # asked once, only when someone could receive it (see above)
    for pk, email, wecom_userid, email_on, wecom_on in rows:
        channels = set()
        if email and email_on is not False:
            channels.add(Channel.EMAIL)
        if wecom_userid and wecom_on is not False:
            if wecom_available is None:
                wecom_available = senders.available(Channel.WECOM)
            if wecom_available:
                channels.add(Channel.WECOM)
        result[pk] = channels
    return result


def set_preference(*, user, channel: str, enabled: bool) -> None:
    ChannelPreference.objects.update_or_create(
        user=user, channel=channel, defaults={"enabled": enabled}
    )


# --- enqueueing -------------------------------------------------------------------------------


def enqueue(messages: list[OutboxMessage]) -> None:
    """Insert the messages (duplicates by key are ignored) and send them after commit."""
    if not messages:
        return
    now = timezone.now()
    for message in messages:
        message.created_at = message.created_at or now
        message.next_attempt_at = message.next_attempt_at or now
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    keys = [m.key for m in messages]
    transaction.on_commit(lambda: _schedule_keys(keys))


_deliver_task = None  # deliver(message_id), for retries and scheduled attempts
_deliver_new_task = None  # deliver_new(key), for the first attempt after a commit
_deliver_keys_task = None  # deliver_new for each of some keys, for a batch's first attempts

# A batch this large (an OLA catch-up chunk) queues its first deliveries a group per task: a
# queue round trip per message was a large share of the chunk's time. Smaller ones (a request's
# few copies) keep a task per message, so one slow send delays no other.
KEYS_PER_TASK = 20


def use_delivery_tasks(*, by_id, by_key, by_keys=None) -> None:
    """The port to the worker: NotificationsConfig.ready() hands over the Huey tasks that call
    `deliver` and `deliver_new` (the tasks module imports this one, so this one does not import
    it). Without them, the outbox sweep sends what is due."""
    global _deliver_task, _deliver_new_task, _deliver_keys_task
    _deliver_task, _deliver_new_task, _deliver_keys_task = by_id, by_key, by_keys


def _schedule_keys(keys: list[str]) -> None:
    """Queue the first delivery of each message by its key: the worker finds the row (a key
    that lost to an existing message finds it already tried and does nothing), so the request
    that committed spends no query on it."""
    if _deliver_new_task is None:
        return
    if _deliver_keys_task is not None and len(keys) >= KEYS_PER_TASK:
        for start in range(0, len(keys), KEYS_PER_TASK):
            _deliver_keys_task(keys[start : start + KEYS_PER_TASK])
        return
    for key in keys:
        _deliver_new_task(key)


def deliver_new(key: str) -> str:
    """The first delivery of the message with `key` (see `_schedule_keys`)."""
    message_id = (
        OutboxMessage.objects.filter(key=key, state=OutboxMessage.State.PENDING, attempts=0)
        .values_list("pk", flat=True)
        .first()
    )
    return "skipped" if message_id is None else deliver(message_id)


# Links that ask the recipient to do something (rate the service, …), offered by the apps above
# (registered from their ready()): `provide(*, notification, channel) -> (label, url) | None`.
# E-mail shows the link under the message; a WeCom card opens it instead of the ticket.
_action_links: dict[str, object] = {}


def register_action_link(name: str, provide) -> None:
    _action_links[name] = provide


def _action_link(notification: Notification, channel: str) -> tuple[str, str] | None:
    for provide in _action_links.values():
        link = provide(notification=notification, channel=channel)
        if link:
            return link
    return None


def _message_for(notification: Notification, channel: str, key: str) -> OutboxMessage:
    url = ticket_url(notification.ticket) if notification.ticket_id else ""
    payload = {}
    link = _action_link(notification, channel) if notification.ticket_id else None
    if link is not None:
        label, link_url = link
        if channel == Channel.WECOM:
            url = link_url
        else:
            payload = {"action": {"label": str(label), "url": link_url}}
    return OutboxMessage(
        key=key,
        channel=channel,
        recipient_id=notification.recipient_id,
        ticket_id=notification.ticket_id,
        subject=notification.title,
        body=notification.body,
        url=url,
        payload=payload,
    )


def enqueue_for_notifications(
    notifications: list[Notification],
    *,
    key_prefix: str | None = None,
    key_prefixes: dict[int, str] | None = None,
    channels: dict[int, set[str]] | None = None,
) -> None:
    """Copy in-app notifications to each recipient's external channels (`channels` when the
    caller has them already, from `reachable_channels`). Keys are "<prefix>:<recipient>:
    <channel>"; the prefix defaults to the notification's event, and OLA alerts pass
    "ola:<timer>:<level>" (`key_prefixes` by event id when a batch holds several alerts)."""
    if not notifications:
        return
    if channels is None:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(pk__in={n.recipient_id for n in notifications})
        channels = enabled_channels(users)
    messages = []
    key_prefixes = key_prefixes or {}
    for notification in notifications:
        prefix = (
            key_prefixes.get(notification.event_id)
            or key_prefix
            or f"event:{notification.event_id}"
        )
        for channel in sorted(channels.get(notification.recipient_id, ())):
            key = f"{prefix}:{notification.recipient_id}:{channel}"
            messages.append(_message_for(notification, channel, key))
    enqueue(messages)


def enqueue_email_copies(copies, *, key_prefix: str, ticket, subject: str, body: str) -> None:
    """E-mail to addresses without an account (a ticket's copied customer contacts): keys are
    "<prefix>:cc<copy id>:email", so a retried call sends once. The portal link is not sent:
    the address has no account to open it with."""
    enqueue(
        [
            OutboxMessage(
                key=f"{key_prefix}:cc{copy_id}:email",
                channel=Channel.EMAIL,
                ticket=ticket,
                subject=subject,
                body=body,
                payload={"email": address},
            )
            for copy_id, address in copies
        ]
    )


def enqueue_webhooks(*, kind: str, key: str, payload: dict, ticket=None) -> None:
    """Send `payload` to every active webhook subscribed to `kind`; `key` identifies the
    occurrence (e.g. "event:42") so each webhook gets it once."""
    enqueue(webhook_messages(kind=kind, key=key, payload=payload, ticket=ticket))


def webhook_messages(*, kind: str, key: str, payload: dict, ticket=None) -> list[OutboxMessage]:
    """The unsaved messages `enqueue_webhooks` would insert (a batch enqueues them together)."""
    return [
        OutboxMessage(
            key=f"webhook:{hook_id}:{key}",
            channel=Channel.WEBHOOK,
            webhook_id=hook_id,
            ticket=ticket,
            subject=kind,
            payload={"kind": kind, **payload},
        )
        for hook_id, kinds in active_webhooks()
        if not kinds or kind in kinds
    ]


# --- sending ----------------------------------------------------------------------------------
#
# A send can take as long as the far end likes (a stalled SMTP server, a webhook that never
# answers), so it never runs inside a transaction: on SQLite an open write transaction would stop
# every other writer, on PostgreSQL it would pin a row lock and a connection. Instead a message is
# claimed in one short transaction, sent with no transaction open, and its result recorded in a
# second short one. The claim bumps `attempts` (the claim's token) and pushes `next_attempt_at`
# out by a lease, so no other worker or sweep picks it up meanwhile; a worker that dies mid-send
# leaves it pending, and once the lease runs out the sweeper sends it again.


def _wecom_throttled_until(message: OutboxMessage, now):
    window_start = now - timedelta(seconds=60)
    recent = list(
        OutboxMessage.objects.filter(
            channel=Channel.WECOM,
            recipient_id=message.recipient_id,
            sent_at__gt=window_start,
        )
        .order_by("sent_at")
        .values_list("sent_at", flat=True)[:WECOM_PER_MINUTE]
    )
    if len(recent) >= WECOM_PER_MINUTE:
        return recent[0] + timedelta(seconds=60)
    return None


def _claim(message_id: int, now) -> tuple[OutboxMessage | None, str]:
    """Take the message for one send attempt. Returns it with its claim, or None and why not."""
    with transaction.atomic():
        qs = OutboxMessage.objects.select_related("recipient", "webhook", "ticket").filter(
            pk=message_id, state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        message = qs.first()
        if message is None:
            return None, "skipped"
        if message.attempts - message.attempt_log.count() >= MAX_UNRECORDED_CLAIMS:
            # Claims that never recorded a result: the send itself keeps killing its worker.
            message.state = OutboxMessage.State.DEAD
            message.last_error = f"worker stopped during the send {MAX_UNRECORDED_CLAIMS} times"
            message.save(update_fields=["state", "last_error"])
            return None, message.state
        if message.channel == Channel.WECOM:
            until = _wecom_throttled_until(message, now)
            if until is not None:
                message.next_attempt_at = until
                message.save(update_fields=["next_attempt_at"])
                transaction.on_commit(lambda: _schedule_at(message.pk, until))
                return None, "throttled"
        message.attempts += 1
        message.next_attempt_at = now + timedelta(seconds=settings.ANDON_OUTBOX_LEASE_SECONDS)
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message, "claimed"


def _send(message: OutboxMessage) -> tuple[bool, str, int]:
    started = time.monotonic()
    try:
        detail, ok = senders.send(message), True
    except DeliveryError as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # a bug or an unexpected library error: keep it visible
        log.exception("outbox delivery %s failed", message.key)
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return ok, str(detail)[:2000], int((time.monotonic() - started) * 1000)


def _record(message: OutboxMessage, *, at, ok: bool, detail: str, duration_ms: int) -> str:
    """Store the attempt and the message's new state, unless the claim was lost meanwhile (its
    lease ran out and another worker claimed it: that worker records its own result)."""
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message, at=at, ok=ok, detail=detail, duration_ms=duration_ms
        )
        if ok:
            changes = {
                "state": OutboxMessage.State.SENT,
                "sent_at": timezone.now(),
                "last_error": "",
            }
        elif message.attempts >= MAX_ATTEMPTS:
            changes = {"state": OutboxMessage.State.DEAD, "last_error": detail}
        else:
            retry_at = at + backoff(message.attempts)
            changes = {"next_attempt_at": retry_at, "last_error": detail}
        claimed = OutboxMessage.objects.filter(
            pk=message.pk, state=OutboxMessage.State.PENDING, attempts=message.attempts
        ).update(**changes)
        if not claimed:
            return "superseded"
        if "next_attempt_at" in changes:
            transaction.on_commit(lambda: _schedule_at(message.pk, changes["next_attempt_at"]))
    for field, value in changes.items():
        setattr(message, field, value)
    return message.state


def deliver(message_id: int) -> str:
    """Try to send one message now. Returns the resulting state (or "skipped", "throttled")."""
    now = timezone.now()
    message, outcome = _claim(message_id, now)
    if message is None:
        return outcome
    ok, detail, duration_ms = _send(message)
    return _record(message, at=now, ok=ok, detail=detail, duration_ms=duration_ms)


def _schedule_at(message_id: int, eta) -> None:
    if _deliver_task is not None:
        _deliver_task.schedule(args=(message_id,), eta=eta)


def retry_now(*, message_id: int) -> None:
    """Admin action: send a dead or waiting message again at once."""
    OutboxMessage.objects.filter(pk=message_id).exclude(state=OutboxMessage.State.SENT).update(
        state=OutboxMessage.State.PENDING, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: _schedule_at(message_id, timezone.now()))


def sweep_outbox(*, limit: int = 500) -> int:
    """Deliver what is due but was never picked up (a lost task, a worker that died)."""
    due = list(
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in due:
        deliver(message_id)
    return len(due)
