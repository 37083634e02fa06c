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
