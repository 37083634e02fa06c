from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

NAME_MAX = 30


class Tag(models.Model):
    """A label on tickets (标签). Names are unique regardless of letter case, so 「VPN」 and
    「vpn」 are one tag; anyone who handles a ticket may create one by tagging."""

    name = models.CharField(_("名称"), max_length=NAME_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self):
        return self.name


class TicketTag(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="ticket_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["tag__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "tag"], name="ticket_tag_unique"),
        ]
        indexes = [models.Index(fields=["tag", "ticket"], name="tickettag_tag_ticket")]

    def __str__(self):
        return f"{self.ticket_id}:{self.tag_id}"
