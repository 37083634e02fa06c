from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    """A decrypted, verified WeCom callback and its processing state.

    A worker processes each event exactly once: the handler's writes and the move to `done`
    commit together. Events about the same object (`object_key`, e.g. "user:zhangsan") are
    processed in the order they arrived; a failing one is retried with backoff and holds back the
    later ones until it succeeds or is declared dead.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        DONE = "done", _("已处理")
        IGNORED = "ignored", _("无需处理")
        DEAD = "dead", _("处理失败")

    received_at = models.DateTimeField()
    msg_type = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=64, blank=True)
    change_type = models.CharField(max_length=64, blank=True)
    from_user = models.CharField(max_length=128, blank=True)
    agent_id = models.CharField(max_length=32, blank=True)
    payload = models.JSONField(default=dict)
    # WeCom re-posts a callback it got no timely answer for; the same plaintext is stored once.
    # Purging a processed event empties its payload but keeps this key.
    dedupe_key = models.CharField(max_length=64, unique=True)
    object_key = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["processed_at", "id"], name="wecom_cb_unprocessed"),
            models.Index(fields=["msg_type", "event"], name="wecom_cb_type_event"),
            models.Index(fields=["state", "object_key", "id"], name="wecom_cb_state_object"),
        ]

    def __str__(self) -> str:
        kind = f"{self.msg_type}/{self.event}" if self.event else self.msg_type
        return f"WeCom callback {kind} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class WeComSettings(models.Model):
    """What an administrator entered on /config/wecom/ (one row). The environment wins over
    anything here; secrets are stored encrypted with ANDON_SECRETS_KEY (see andon.wecom.config).
    """

    corp_id = models.CharField(max_length=64, blank=True)
    agent_id = models.CharField(max_length=32, blank=True)
    secret_encrypted = models.TextField(blank=True)
    contacts_secret_encrypted = models.TextField(blank=True)
    callback_token_encrypted = models.TextField(blank=True)
    callback_aes_key_encrypted = models.TextField(blank=True)
    # When WeCom owns the org chart the people and department pages are read-only.
    wecom_owns_org_chart = models.BooleanField(default=False)
    # The visible range as of the last sync: {"users": [userid…], "departments": [id…]} with the
    # departments' subtrees expanded, so a member created by a callback gets the right flag.
    visible_range = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"WeCom settings for {self.corp_id or '-'}"


class SyncRun(models.Model):
    """One org chart sync (or dry run): its progress while it runs and its diff afterwards."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        FETCHING = "fetching", _("读取企业微信")
        APPLYING = "applying", _("写入")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("手动")
        COMMAND = "command", _("命令行")
        SCHEDULE = "schedule", _("定时")

    dry_run = models.BooleanField(default=False)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # {"counts": {...}, "changes": [{"kind", "action", "name", "detail"}, ...] (first 500)}
    summary = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"WeCom sync #{self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return 0 if not self.total else min(99, int(self.processed * 100 / self.total))

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
