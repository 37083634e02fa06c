"""Saved views (保存的视图) of the ticket list: a name, the list tab it starts from, the filters,
the columns and the sort. Personal views belong to their owner; shared views are offered to
everyone, and each viewer still sees only the tickets `visible_tickets` lets them see, so sharing a
view never shares a ticket. One default view per person opens when the list is opened bare."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NAME_MAX = 30


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("名称"), max_length=NAME_MAX)
    shared = models.BooleanField(_("共享给所有人"), default=False)
    tab = models.CharField(max_length=20, default="all")
    filters = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)
    sort = models.CharField(max_length=20, default="-id")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name")
        ]
        indexes = [models.Index(fields=["shared", "id"], name="saved_view_shared")]

    def __str__(self):
        return self.name


class DefaultView(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="default_view",
    )
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.user_id} -> {self.view_id}"
