"""Links between tickets: parent/child, related, duplicate-of.

One row per link, read from both ends (a parent shows its children, a child its parent; a related
link shows on both tickets). The rules the database can hold are constraints: no self-link, one
parent per ticket, one original per duplicate, no repeated link. "No cycle in a parent chain" needs
a walk and is checked by `andon.tickets.services.links` under a lock."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkKind(models.TextChoices):
    # source is the child, target its parent
    PARENT = "parent", _("父子")
    # symmetric; stored with the smaller id as source so a pair is stored once
    RELATED = "related", _("相关")
    # source duplicates target (the original)
    DUPLICATE = "duplicate", _("重复")


class TicketLink(models.Model):
    source = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target", "kind"], name="ticket_link_target_kind")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(kind="parent"),
                name="ticket_link_one_parent",
            ),
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(kind="duplicate"),
                name="ticket_link_one_original",
            ),
        ]

    def __str__(self):
        return f"{self.source_id} {self.kind} {self.target_id}"
