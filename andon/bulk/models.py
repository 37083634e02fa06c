from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BulkAction(models.TextChoices):
    CLAIM = "claim", _("认领")
    TRANSFER = "transfer", _("转单")
    PRIORITY = "priority", _("设置优先级")
    TAG = "tag", _("添加标签")
    CLOSE = "close", _("关闭")
    CANCEL = "cancel", _("取消")


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    FINISHED = "finished", _("已完成")


class BulkJob(models.Model):
    """One bulk action over many tickets. The job row and its items are the state (DESIGN §3:
    Huey may lose a task); a runner picks up where the last one stopped."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20, choices=BulkAction.choices)
    params = models.JSONField(default=dict, blank=True)
    ticket_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # Refreshed while a runner works; a stale one lets the sweeper start another.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="bulkjob_state_heartbeat")]

    def __str__(self):
        return f"bulk {self.pk} {self.action}"

    @property
    def processed(self) -> int:
        return self.done_count + self.refused_count

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100


class BulkJobItem(models.Model):
    """One ticket's outcome, written in the same transaction as its change: a ticket is either
    changed and marked done, or unchanged and marked refused with the reason."""

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    ticket_id = models.BigIntegerField()
    ok = models.BooleanField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "ticket_id"], name="bulkjobitem_job_ticket"),
        ]

    def __str__(self):
        return f"{self.job_id}:{self.ticket_id}"
