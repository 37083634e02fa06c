"""Reads of the notifications area: a person's notifications and unread count (the bell), and
the admins' views of webhooks, the outbox and delivery attempts."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from andon.core import config_cache
from andon.notifications.models import DeliveryAttempt, Notification, OutboxMessage, Webhook


def my_notifications(user, *, unread_only: bool = False):
    qs = Notification.objects.filter(recipient=user).order_by("-id")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(user) -> int:
    """One COUNT query over the (recipient, read_at) index: cheap enough to poll."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def webhooks():
    return Webhook.objects.annotate(message_count=Count("outboxmessage")).order_by("id")


def active_webhooks() -> tuple[tuple[int, frozenset[str]], ...]:
    """(id, subscribed kinds; empty for all) of every active webhook, read on every ticket event
    and so cached until a webhook is saved."""
    return config_cache.get(
        config_cache.WEBHOOKS,
        "active",
        lambda: tuple(
            (pk, frozenset(kinds or ()))
            for pk, kinds in Webhook.objects.filter(is_active=True).values_list("pk", "events")
        ),
        immutable=True,
    )


def webhook_deliveries(webhook, *, limit: int = 50):
    """The webhook's latest messages, each with its attempts (two queries)."""
    return list(
        OutboxMessage.objects.filter(webhook=webhook)
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("-id")))
        .order_by("-id")[:limit]
    )


def outbox_messages(*, state: str = "", channel: str = ""):
    qs = OutboxMessage.objects.select_related("recipient", "webhook", "ticket").order_by("-id")
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel=channel)
    return qs


def with_attempts(qs):
    return qs.prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("-id"))
    )
