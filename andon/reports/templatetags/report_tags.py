"""Numbers as people read them: business durations and rates."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Business seconds as 2 天 3 小时 / 3 小时 5 分 / 5 分 30 秒; — when there is no data."""
    if seconds is None or seconds == "":
        return "—"
    total = int(round(float(seconds)))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)s 分 %(s)s 秒") % {"m": minutes, "s": secs}
    return _("%(s)s 秒") % {"s": secs}


@register.filter
def percent(rate) -> str:
    """0.8333 -> 83.3%; — when nothing was decided."""
    if rate is None or rate == "":
        return "—"
    value = round(float(rate) * 100, 1)
    return f"{value:g}%"
