from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from andon.tickets.models import Priority

NAME_MAX = 60
BODY_MAX = 5000


class MacroStep(models.TextChoices):
    """The status change a macro may make: a workflow action that takes the reply as its note."""

    NONE = "", _("不改变状态")
    NEED_INFO = "need-info", _("要求补充")
    RESOLVE = "resolve", _("解决")
    CLOSE = "close", _("关闭")


class Macro(models.Model):
    """A canned reply (快捷回复): personal (an owner) or shared with a queue's members (a queue),
    never both. Its body may name placeholders such as {requester} and {ticket_number}."""

    name = models.CharField(_("名称"), max_length=NAME_MAX)
    body = models.TextField(_("回复内容"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
    )
    queue = models.ForeignKey(
        "queues.Queue", null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    is_internal = models.BooleanField(_("内部评论"), default=False)
    step = models.CharField(
        _("同时改变状态"), max_length=20, choices=MacroStep.choices, blank=True, default=""
    )
    priority = models.CharField(
        _("同时设置优先级"), max_length=2, choices=Priority.choices, blank=True, default=""
    )
    tags = models.JSONField(_("同时添加标签"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False, queue__isnull=True)
                | models.Q(owner__isnull=True, queue__isnull=False),
                name="macro_personal_or_shared",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="macro_owner_name"),
            models.Index(fields=["queue", "name"], name="macro_queue_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.queue_id is not None
