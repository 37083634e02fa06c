from django import template

from andon.bulk import services
from andon.bulk.models import BulkAction
from andon.tickets.models import Priority
from andon.tickets.selectors import transfer_choices

register = template.Library()


@register.simple_tag
def may_bulk(user) -> bool:
    return services.may_bulk(user)


@register.simple_tag
def bulk_form_choices() -> dict:
    return {
        "actions": BulkAction.choices,
        "priorities": Priority.choices,
        "transfer": transfer_choices(),
        "inline_max": services.INLINE_MAX,
    }
