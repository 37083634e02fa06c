"""Auto-confirm and auto-close (自动确认 / 自动关闭).

A queue's setting says how long a requester has: N working days on the queue's OLA calendar to
confirm a resolved ticket (a reminder on the morning of the last day), M calendar days before a
done ticket closes. A ticket waiting on either has one `FollowUpClock` row: the state lives in
the database, the periodic worker task only reads what is due."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_CONFIRM_DAYS = 3
DEFAULT_CLOSE_DAYS = 7
MAX_CONFIRM_DAYS = 30
MAX_CLOSE_DAYS = 365


class QueueFollowUp(models.Model):
    """A queue's auto-confirm and auto-close periods; a queue without a row uses the defaults.
    0 turns the step off."""

    queue = models.OneToOneField("queues.Queue", on_delete=models.CASCADE, related_name="follow_up")
    confirm_after_working_days = models.PositiveSmallIntegerField(
        _("自动确认（工作日）"),
        default=DEFAULT_CONFIRM_DAYS,
        validators=[MaxValueValidator(MAX_CONFIRM_DAYS)],
    )
    close_after_days = models.PositiveSmallIntegerField(
        _("自动关闭（天）"),
        default=DEFAULT_CLOSE_DAYS,
        validators=[MaxValueValidator(MAX_CLOSE_DAYS)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"follow-up {self.queue_id}"


class Stage(models.TextChoices):
    CONFIRM = "confirm", _("自动确认")
    CLOSE = "close", _("自动关闭")


class FollowUpClock(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="follow_up_clock"
    )
    stage = models.CharField(max_length=10, choices=Stage.choices)
    # When the ticket entered the status this clock waits on; with the ticket it keys the
    # reminder's delivery, so a retried step cannot remind twice.
    started_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], name="followup_due"),
            models.Index(
                fields=["remind_at"],
                condition=models.Q(reminded_at__isnull=True),
                name="followup_remind_due",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.stage} {self.due_at:%Y-%m-%d %H:%M}"
