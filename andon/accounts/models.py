from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from andon.accounts.permissions import ALL_CODES
from andon.core import config_cache


class Department(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    leaders = models.ManyToManyField(
        "accounts.User", blank=True, related_name="led_departments", verbose_name=_("负责人")
    )
    order = models.PositiveIntegerField(default=0)
    wecom_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("部门")

    def __str__(self):
        return self.name


class Role(models.Model):
    name = models.CharField(_("名称"), max_length=50)
    # Built-in roles carry a stable code ("admin", "agent", ...); custom roles have none.
    code = models.SlugField(max_length=30, null=True, blank=True, unique=True)
    builtin = models.BooleanField(default=False)
    description = models.CharField(max_length=200, blank=True)
    permissions = models.JSONField(default=list)

    class Meta:
        ordering = ["-builtin", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="role_name_unique")]

    def __str__(self):
        return self.name

    @property
    def permission_codes(self) -> frozenset[str]:
        if self.code == "admin":
            return ALL_CODES
        return frozenset(self.permissions) & ALL_CODES


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    mobile = models.CharField(_("手机"), max_length=30, blank=True)
    wecom_userid = models.CharField(
        _("企业微信账号"), max_length=64, null=True, blank=True, unique=True
    )
    main_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("主部门"),
    )
    direct_leaders = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="direct_reports"
    )
    is_available = models.BooleanField(_("可接单"), default=True)
    # Inside the WeCom application's visible range (可见范围), as of the last sync: None when
    # WeCom is not configured or was never synced. People outside it cannot open the app, so
    # notifications and OLA alerts skip them.
    wecom_visible = models.BooleanField(_("在企业微信可见范围内"), null=True, blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="users")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def permission_codes(self) -> frozenset[str]:
        # Memoised per instance (request.user lives for one request); the roles' codes come from
        # the configuration cache, which a role edit or assignment invalidates at its commit.
        cached = getattr(self, "_permission_codes", None)
        if cached is None:
            if self.is_superuser:
                cached = ALL_CODES
            elif not self.is_active or not self.pk:
                cached = frozenset()
            else:
                cached = config_cache.get(
                    config_cache.ROLES, ("codes", self.pk), self._role_codes, immutable=True
                )
            self._permission_codes = cached
        return cached

    def _role_codes(self) -> frozenset[str]:
        """The codes of the user's roles, not counting superuser or deactivation."""
        codes: set[str] = set()
        for role in self.roles.all():
            codes |= role.permission_codes
        return frozenset(codes)

    def has_perm_code(self, code: str) -> bool:
        return code in self.permission_codes


class ImportJob(models.Model):
    """A people/department import: parsed and previewed first, then applied by the worker in
    chunks, with progress kept here so any web process can report it."""

    class Kind(models.TextChoices):
        PEOPLE = "people", _("人员")
        DEPARTMENTS = "departments", _("部门")

    class State(models.TextChoices):
        PREVIEW = "preview", _("待确认")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PREVIEW)
    file_name = models.CharField(max_length=255)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Parsed rows ([{"line": n, "data": {...}, "errors": {...}, "action": "create"|"update"}]).
    rows = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)
