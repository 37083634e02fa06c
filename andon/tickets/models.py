from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from andon.tickets import visibility


class Status(models.TextChoices):
    PENDING = "pending", _("待处理")
    PROCESSING = "processing", _("处理中")
    NEED_INFO = "need_info", _("待补充")
    TO_CONFIRM = "to_confirm", _("待确认")
    DONE = "done", _("已完成")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATUSES = (Status.PENDING, Status.PROCESSING, Status.NEED_INFO)


class TicketQuerySet(models.QuerySet):
    def restrict(self, user) -> TicketQuerySet:
        """Only the tickets `user` may read (the one rule, andon.tickets.visibility)."""
        scope = visibility.ticket_scope(user)
        if scope is visibility.NOTHING:
            return self.none()
        return self.filter(scope) if scope else self


UNFINISHED_STATUSES = (*OPEN_STATUSES, Status.TO_CONFIRM)


class Priority(models.TextChoices):
    L1 = "L1", _("L1 紧急")
    L2 = "L2", _("L2 高")
    L3 = "L3", _("L3 中")
    L4 = "L4", _("L4 低")


class Channel(models.TextChoices):
    WEB = "web", _("工作台")
    PORTAL = "portal", _("服务门户")
    API = "api", _("API")
    EMPLOYEE = "employee", _("员工服务")
    EXTERNAL_GROUP = "external_group", _("客户群")
    SINGLE_CHAT = "single_chat", _("客户单聊")
    WECHAT_KF = "wechat_kf", _("微信客服")
    EMAIL = "email", _("邮件")


class Ticket(models.Model):
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    priority = models.CharField(
        _("优先级"), max_length=2, choices=Priority.choices, default=Priority.L3
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    catalog_entry = models.ForeignKey(
        "catalog.CatalogEntry", on_delete=models.PROTECT, related_name="tickets"
    )
    queue = models.ForeignKey(
        "queues.Queue", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_tickets"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    custom_fields = models.JSONField(default=dict, blank=True)
    resolution = models.TextField(_("解决方案"), blank=True)
    urge_count = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="ticket_status_id"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_status_id"),
            models.Index(fields=["queue", "status", "-id"], name="ticket_queue_status_id"),
            models.Index(fields=["requester", "-id"], name="ticket_requester_id"),
            models.Index(fields=["catalog_entry", "-id"], name="ticket_catalog_id"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return format_number(self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in UNFINISHED_STATUSES


def format_number(pk: int | None) -> str:
    return f"{settings.TICKET_NUMBER_PREFIX}-{pk}"


def parse_number(text: str) -> int | None:
    """'AD-1042', 'ad-1042' or '1042' -> 1042; anything else -> None."""
    text = (text or "").strip()
    prefix = settings.TICKET_NUMBER_PREFIX.lower() + "-"
    if text.lower().startswith(prefix):
        text = text[len(prefix) :]
    return int(text) if text.isdigit() and len(text) < 19 else None


class EventKind(models.TextChoices):
    CREATED = "created", _("创建")
    DISPATCHED = "dispatched", _("派单")
    UNDISPATCHED = "undispatched", _("进入待认领池")
    CLAIMED = "claimed", _("认领")
    URGED = "urged", _("催单")
    COMMENTED = "commented", _("评论")
    ATTACHED = "attached", _("上传附件")
    TRANSFERRED = "transferred", _("转单")
    NEED_INFO = "need_info", _("要求补充")
    RESUMED = "resumed", _("补充完成")
    RESOLVED = "resolved", _("解决")
    CONFIRMED = "confirmed", _("确认完成")
    REOPENED = "reopened", _("重新打开")
    CLOSED = "closed", _("关闭")
    CANCELLED = "cancelled", _("取消")
    UPDATED = "updated", _("修改")
    OLA_WARNING = "ola_warning", _("OLA 预警")
    OLA_BREACHED = "ola_breached", _("OLA 超时")
    OLA_ESCALATED = "ola_escalated", _("OLA 升级")


class TicketEvent(models.Model):
    """Append-only activity log (流水日志): one row per change, written with the change."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    # The durable record of the after-commit fan-out (see andon.tickets.events): set in the
    # change's transaction, cleared by the worker once the search index and roll-up saw it.
    fanout_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["ticket", "kind", "actor"], name="event_ticket_kind_actor"),
            models.Index(
                fields=["ticket"],
                condition=models.Q(fanout_pending=True),
                name="event_fanout_pending",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("TicketEvent is append-only")
        super().save(*args, **kwargs)


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.ticket_id}#{self.pk}"


def attachment_path(instance, filename):
    return f"attachments/{instance.ticket_id}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Files are stored under a random token, never under the user's file name.
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=12)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.original_name
