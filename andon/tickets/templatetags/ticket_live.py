from django import template
from django.conf import settings

from andon.tickets.live import ticket_version

register = template.Library()


@register.simple_tag(takes_context=True)
def live_version(context, ticket) -> int:
    return ticket_version(context["request"].user, ticket)


@register.simple_tag
def live_poll_ms() -> int:
    return int(float(getattr(settings, "ANDON_LIVE_POLL_SECONDS", 10)) * 1000)
