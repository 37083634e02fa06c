from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DispatchRule(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("轮流分配")
    LEAST_LOADED = "least_loaded", _("最少未完成优先")
    MANUAL = "manual", _("手动认领")


class Queue(models.Model):
    name = models.CharField(_("名称"), max_length=25, unique=True)
    description = models.TextField(_("描述"), blank=True)
    dispatch_rule = models.CharField(
        _("接单规则"), max_length=20, choices=DispatchRule.choices, default=DispatchRule.ROUND_ROBIN
    )
    is_enabled = models.BooleanField(_("启用"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="QueueMembership", related_name="queues", blank=True
    )
    # Round robin remembers its place: the member who got the last ticket.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("队列")

    def __str__(self):
        return self.name


class QueueMembership(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "user"], name="queue_membership_unique")
        ]

    def __str__(self):
        return f"{self.queue_id}:{self.user_id}"
