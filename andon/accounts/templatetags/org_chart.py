from django import template

from andon.accounts.chart import chart_lock_reason

register = template.Library()


@register.simple_tag
def org_chart_lock() -> str:
    """Why the org chart pages are read-only now, or ""."""
    return chart_lock_reason()
