from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app notification, written in the same transaction as the ticket event it reports."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-id"], name="notif_recipient_unread")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"],
                condition=models.Q(event__isnull=False),
                name="notification_once_per_event",
            )
        ]

    def __str__(self):
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    WECOM = "wecom", _("企业微信")
    WEBHOOK = "webhook", "Webhook"


class ChannelPreference(models.Model):
    """A person's choice of channels beyond in-app (which is always on). No row = the default:
    e-mail on when they have an address, WeCom on when they have a WeCom account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_preferences"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="channel_preference_unique")
        ]

    def __str__(self):
        return f"{self.user_id} {self.channel} {self.enabled}"


class Webhook(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    # Event kinds to send ("created", "resolved", "ola.breached", …); empty means all.
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class OutboxMessage(models.Model):
    """One message to deliver on one external channel. The unique `key` (e.g.
    "ola:<timer>:<level>:<user>:wecom" or "event:<event>:<user>:email") makes enqueueing
    idempotent, so a retried step can never send twice."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        DEAD = "dead", _("放弃")

    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.CASCADE)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["channel", "recipient", "sent_at"], name="outbox_recent_sent"),
        ]

    def __str__(self):
        return self.key


class DeliveryAttempt(models.Model):
    """Every try of every outbox message, kept for admins (status, response, error)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    detail = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.message_id} {'ok' if self.ok else 'error'}"
