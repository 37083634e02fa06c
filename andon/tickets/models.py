from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PENDING = "pending", _("待处理")
    PROCESSING = "processing", _("处理中")
    NEED_INFO = "need_info", _("待补充")
    TO_CONFIRM = "to_confirm", _("待确认")
    DONE = "done", _("已完成")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATUSES = (Status.PENDING, Status.PROCESSING, Status.NEED_INFO)
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
    # Bumped by every edit of the editable fields (`services.update_ticket`): an edit form or a
    # PATCH carries the version it started from, so a concurrent edit is a conflict, not lost.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

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
    TAKEN_OVER = "taken_over", _("接手")
    COLLABORATOR_ADDED = "collaborator_added", _("邀请协作")
    COLLABORATOR_REMOVED = "collaborator_removed", _("移除协作")
    CC_ADDED = "cc_added", _("添加抄送")
    CC_REMOVED = "cc_removed", _("移除抄送")
    OLA_WARNING = "ola_warning", _("OLA 预警")
    OLA_BREACHED = "ola_breached", _("OLA 超时")
    OLA_ESCALATED = "ola_escalated", _("OLA 升级")
    LINKED = "linked", _("关联工单")
    UNLINKED = "unlinked", _("取消关联")
    MERGED = "merged", _("合并工单")
    CONFIRM_REMINDER = "confirm_reminder", _("确认提醒")
    RATED = "rated", _("满意度评价")


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


# --- people around a ticket (卷入) ------------------------------------------------------------


class Collaborator(models.Model):
    """A person, or a whole queue, pulled into a ticket by its handler (卷入): they see it, may
    comment (internally too) and are notified, while the assignee stays the owner."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="collaborators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="collaborations",
    )
    queue = models.ForeignKey(
        "queues.Queue",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="collaborations",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, queue__isnull=True)
                    | models.Q(user__isnull=True, queue__isnull=False)
                ),
                name="collaborator_user_xor_queue",
            ),
            models.UniqueConstraint(
                fields=["ticket", "user"],
                condition=models.Q(user__isnull=False),
                name="collaborator_user_once",
            ),
            models.UniqueConstraint(
                fields=["ticket", "queue"],
                condition=models.Q(queue__isnull=False),
                name="collaborator_queue_once",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "ticket"], name="collaborator_user_ticket"),
            models.Index(fields=["queue", "ticket"], name="collaborator_queue_ticket"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.user_id or ''}{self.queue_id or ''}"


class Watcher(models.Model):
    """Someone who may see the ticket and asked to hear about its changes (关注). Watching grants
    no access: a watcher who can no longer see the ticket is not told."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="watcher_once"),
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="watcher_user_ticket")]

    def __str__(self):
        return f"{self.ticket_id} {self.user_id}"


class CarbonCopy(models.Model):
    """The requester's side (抄送): a colleague of the customer who hears of public updates. Either
    a person with an account (who may then read the ticket as the requester does) or an e-mail
    address (often a customer contact's), which receives the public updates by e-mail only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="carbon_copies")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carbon_copies",
    )
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    # The customer contact this copy was made from, when there is one (a plain id: contacts
    # live in a higher layer, and the address is copied so that the copy outlives the contact).
    contact_id = models.PositiveBigIntegerField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""),
                name="cc_user_or_email",
            ),
            models.UniqueConstraint(
                fields=["ticket", "user"],
                condition=models.Q(user__isnull=False),
                name="cc_user_once",
            ),
            models.UniqueConstraint(
                fields=["ticket", "email"],
                condition=models.Q(user__isnull=True),
                name="cc_email_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="cc_user_ticket")]

    def __str__(self):
        return f"{self.ticket_id} {self.user_id or self.email}"


# Links between tickets live in their own module; imported here so Django finds the model.
from andon.tickets.link_models import LinkKind, TicketLink  # noqa: E402, F401
