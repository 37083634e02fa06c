"""The requester portal's own records: which desk users are external contacts signed in through
the portal, and the one-time sign-in links e-mailed to them."""

from django.conf import settings
from django.db import models


class PortalAccount(models.Model):
    """A lightweight user made for an external contact on their first portal sign-in. It has no
    role: what it may do is decided by the portal's own checks (its own tickets only)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account"
    )
    contact = models.OneToOneField(
        "customers.Contact", on_delete=models.CASCADE, related_name="portal_account"
    )
    created_at = models.DateTimeField()

    def __str__(self):
        return f"{self.contact}"


class MagicLink(models.Model):
    """A single-use sign-in link. Only the SHA-256 of the token is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="magic_links"
    )
    email = models.EmailField()
    next_path = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "created_at"], name="magiclink_email_created")]

    def __str__(self):
        return self.email
