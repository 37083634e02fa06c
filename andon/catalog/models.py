from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def normalize_name(name: str) -> str:
    """Catalog names are unique case- and space-insensitively: "VPN 故障" == "vpn故障"."""
    return "".join((name or "").split()).casefold()


class CatalogEntry(models.Model):
    name = models.CharField(_("名称"), max_length=50)
    name_key = models.CharField(max_length=50, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    queue = models.ForeignKey(
        "queues.Queue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="catalog_entries",
        verbose_name=_("派单队列"),
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_retired = models.BooleanField(_("已停用"), default=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("服务目录")
        constraints = [
            models.UniqueConstraint(
                fields=["name_key"], condition=Q(parent__isnull=True), name="catalog_l1_name_unique"
            ),
            models.UniqueConstraint(fields=["parent", "name_key"], name="catalog_l2_name_unique"),
        ]

    def __str__(self):
        if self.parent_id:
            return f"{self.parent.name} / {self.name}"
        return self.name

    @property
    def level(self) -> int:
        return 1 if self.parent_id is None else 2
