from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def notification_poll_seconds() -> int:
    """How often the bell asks for the unread count (NOTIFICATION_POLL_SECONDS, default 20)."""
    return max(1, int(getattr(settings, "NOTIFICATION_POLL_SECONDS", 20)))
