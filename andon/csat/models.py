"""Customer satisfaction (满意度, CSAT): the requester's 1–5 rating of a resolved ticket.

One rating per ticket. The requester may change it (score and comment) for
`settings.CSAT_CHANGE_DAYS` days after first rating it; after that it is final, so the reports
of a closed period stay put. The queue, handler and catalog entry are copied from the ticket
when it is rated: the reports credit whoever resolved it, even if the ticket moves later."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RatingChannel(models.TextChoices):
    WEB = "web", _("工作台")
    PORTAL = "portal", _("服务门户")
    EMAIL = "email", _("邮件")
    WECOM = "wecom", _("企业微信")
    API = "api", _("API")


class Rating(models.Model):
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="csat")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.TextField(_("评价"), blank=True)
    channel = models.CharField(max_length=10, choices=RatingChannel.choices)
    queue = models.ForeignKey(
        "queues.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    catalog_entry = models.ForeignKey(
        "catalog.CatalogEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="csat_score_1_to_5"
            )
        ]
        indexes = [
            models.Index(fields=["created_at"], name="csat_created"),
            models.Index(fields=["queue", "created_at"], name="csat_queue_created"),
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.score}"
