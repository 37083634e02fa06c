from django import template

from andon.tags import selectors
from andon.tags.views import panel_context

register = template.Library()

FILTER_CHOICES_MAX = 200


@register.simple_tag
def tag_filter_choices() -> list:
    return list(selectors.all_tags()[:FILTER_CHOICES_MAX])


@register.inclusion_tag("tags/_ticket_tags.html", takes_context=True)
def ticket_tag_panel(context, ticket):
    request = context["request"]
    return {
        **panel_context(request.user, ticket),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
