from django import template

from andon.macros import selectors, services

register = template.Library()


@register.simple_tag
def may_use_macros(user) -> bool:
    return services.may_have_macros(user) or selectors.manages_shared(user)
