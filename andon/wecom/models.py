from django.db import models


class AccessToken(models.Model):
    """A WeCom credential (access token or JS-SDK ticket) shared by every web and worker process.

    WeCom limits how often these may be fetched, so they live in the database rather than in one
    process's memory. `refresh_at` is when we start asking for a new one (a few minutes early);
    `expires_at` is when WeCom stops accepting it, so a failed refresh can still use it until then.
    """

    KIND_ACCESS_TOKEN = "access_token"
    KIND_JSAPI_TICKET = "jsapi_ticket"
    KIND_AGENT_TICKET = "agent_jsapi_ticket"
    KIND_CHOICES = [
        (KIND_ACCESS_TOKEN, "access_token"),
        (KIND_JSAPI_TICKET, "jsapi_ticket"),
        (KIND_AGENT_TICKET, "agent jsapi_ticket"),
    ]

    corp_id = models.CharField(max_length=64)
    agent_id = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=30, choices=KIND_CHOICES, default=KIND_ACCESS_TOKEN)
    token = models.TextField(blank=True)
    expires_at = models.DateTimeField()
    refresh_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["corp_id", "agent_id", "kind"], name="wecom_token_one_per_agent_kind"
            )
        ]

    def __str__(self) -> str:
        # Never the token itself: this string ends up in logs and the admin.
        expires = f"{self.expires_at:%Y-%m-%d %H:%M}"
        return f"{self.kind} for {self.corp_id}/{self.agent_id} (expires {expires})"


class CallbackEvent(models.Model):
    """A decrypted, verified WeCom callback, kept for the services that act on it."""

    received_at = models.DateTimeField()
    msg_type = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=64, blank=True)
    change_type = models.CharField(max_length=64, blank=True)
    from_user = models.CharField(max_length=128, blank=True)
    agent_id = models.CharField(max_length=32, blank=True)
    payload = models.JSONField(default=dict)
    # WeCom re-posts a callback it got no timely answer for; the same plaintext is stored once.
    dedupe_key = models.CharField(max_length=64, unique=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["processed_at", "id"], name="wecom_cb_unprocessed"),
            models.Index(fields=["msg_type", "event"], name="wecom_cb_type_event"),
        ]

    def __str__(self) -> str:
        kind = f"{self.msg_type}/{self.event}" if self.event else self.msg_type
        return f"WeCom callback {kind} at {self.received_at:%Y-%m-%d %H:%M:%S}"
