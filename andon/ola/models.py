from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------------------------
# Business calendars: when OLA clocks run. The business-time arithmetic lives in businesstime.py.
# --------------------------------------------------------------------------------------------


def default_weekly_windows():
    workday = [["09:00", "12:00"], ["13:30", "18:00"]]
    return {
        "mon": workday,
        "tue": workday,
        "wed": workday,
        "thu": workday,
        "fri": workday,
        "sat": [],
        "sun": [],
    }


class BusinessCalendar(models.Model):
    name = models.CharField(_("名称"), max_length=50, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    # {"mon": [["09:00", "12:00"], ["13:30", "18:00"]], …, "sun": []}: minute precision, "24:00"
    # allowed as an end, windows sorted and non-overlapping (validated by calendar_services).
    weekly_windows = models.JSONField(_("每周工作时段"), default=default_weekly_windows)
    follows_china_holidays = models.BooleanField(_("遵循中国法定节假日与调休"), default=True)
    # Years whose holidays the admin entered by hand as exceptions because the holiday package has
    # no data for them yet; they no longer raise the "missing holiday data" warning.
    manual_holiday_years = models.JSONField(_("已手工录入节假日的年份"), default=list, blank=True)
    # The built-in 7×24 calendar cannot be deleted.
    is_builtin = models.BooleanField(_("内置"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("工作日历")

    def __str__(self):
        return self.name


class CalendarExceptionKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("工作日")


class CalendarException(models.Model):
    """An admin-entered date that is off or on regardless of the weekday and the holiday package
    (admin entries win over the package, both ways)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarExceptionKind.choices)
    note = models.CharField(_("备注"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历例外日期")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_unique")
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


# --------------------------------------------------------------------------------------------
# Policies, timers and alerts: the OLA engine's state. The rules live in andon/ola/engine.py.
# --------------------------------------------------------------------------------------------

PRIORITIES = ("L1", "L2", "L3", "L4")


def default_response_minutes():
    return {"L1": 15, "L2": 30, "L3": 120, "L4": 480}


def default_resolution_minutes():
    return {"L1": 240, "L2": 480, "L3": 1440, "L4": 2880}


class OlaPolicy(models.Model):
    """A queue's internal service targets and how its alerts climb."""

    queue = models.OneToOneField(
        "queues.Queue", on_delete=models.CASCADE, related_name="ola_policy"
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    response_minutes = models.JSONField(_("响应时长（分钟）"), default=default_response_minutes)
    resolution_minutes = models.JSONField(_("解决时长（分钟）"), default=default_resolution_minutes)
    urge_threshold = models.PositiveIntegerField(_("催单次数"), null=True, blank=True, default=3)
    warn_at_percent = models.PositiveIntegerField(_("预警点（%）"), default=80)
    escalation_interval_minutes = models.PositiveIntegerField(_("升级间隔（分钟）"), default=30)
    max_level = models.PositiveIntegerField(_("最高升级层级"), default=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("OLA 策略")

    def __str__(self):
        return f"OLA {self.queue}"


# Ticket statuses in which the timers stop. The OLA configuration sits below tickets (DESIGN.md
# §4 "Layers") and cannot import the ticket models, so their values are named here.
FINISHED_STATUSES = ("closed", "cancelled")


class Metric(models.TextChoices):
    RESPONSE = "response", _("响应")
    RESOLUTION = "resolution", _("解决")
    URGE = "urge", _("催单")


# Ticket statuses in which a met resolution timer still counts (the requester may reopen).
RESOLVED_STATUSES = ("to_confirm", "done")


class TimerState(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    MET = "met", _("已达成")
    BREACHED = "breached", _("已超时")
    STOPPED = "stopped", _("已停止")


class OlaTimer(models.Model):
    """One running target of one ticket in one queue.

    `policy` is a snapshot taken when the timer started, so later policy edits do not rewrite it
    (unless the admin applies them to open tickets explicitly). `level` is how far the alarm has
    gone: -1 nothing yet, 0 warned, 1 breached (the handler was alerted), 2+ escalations up the
    org chart. `token` changes whenever the schedule changes; a worker step carrying an old token
    does nothing.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="ola_timers"
    )
    queue = models.ForeignKey("queues.Queue", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    state = models.CharField(max_length=20, choices=TimerState.choices, default=TimerState.RUNNING)
    # False once the timer can no longer act (met, stopped); the state keeps the outcome, so a
    # breached timer stays "breached" for the reports after the ticket is resolved.
    active = models.BooleanField(default=True)
    policy = models.JSONField()
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Business seconds left when paused (need_info) or when met (a reopen resumes from here).
    remaining_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Business seconds the target took, set when met or breached-then-met (for reports).
    elapsed_seconds = models.PositiveIntegerField(null=True, blank=True)
    level = models.SmallIntegerField(default=-1)
    next_action_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=32, blank=True)
    # When the sweeper last handed this due step to a worker: it is not handed out again until
    # ENQUEUE_LEASE has passed (a task lost with its worker), and any reschedule clears it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    alerted_user_ids = models.JSONField(default=list, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_reason = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            # The sweeper walks due timers in (next_action_at, id) order, a page at a time.
            models.Index(fields=["next_action_at", "id"], name="ola_timer_due"),
            models.Index(fields=["ticket", "active"], name="ola_timer_ticket"),
            models.Index(fields=["queue", "metric", "state"], name="ola_timer_queue"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.metric} {self.state}"


class Alert(models.Model):
    """Who was told what about a timer. Unique per (timer, level, recipient): a retried or
    duplicated step can never alert the same person twice for the same level."""

    timer = models.ForeignKey(OlaTimer, on_delete=models.CASCADE, related_name="alerts")
    level = models.SmallIntegerField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["timer", "level", "recipient"], name="ola_alert_once")
        ]

    def __str__(self):
        return f"{self.timer_id} L{self.level} → {self.recipient_id}"
