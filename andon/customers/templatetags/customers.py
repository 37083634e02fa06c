from django import template

from andon.customers.models import TicketOrigin

register = template.Library()


@register.simple_tag
def ticket_origin(ticket):
    """The ticket's origin with its customer, contact and chat, in one query (None if none)."""
    return (
        TicketOrigin.objects.select_related("customer", "customer__owner", "contact", "group_chat")
        .filter(ticket_id=ticket.pk)
        .first()
    )
