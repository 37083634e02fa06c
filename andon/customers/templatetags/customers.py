from django import template

from andon.customers.models import TicketOrigin
from andon.customers.selectors import can_read

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_origin(context, ticket):
    """The ticket's origin with its customer, contact and chat, in one query (None if none).
    `show_contact_details` says whether the reader may see the contact's phone and e-mail (the
    customer directory's `customers.view`)."""
    origin = (
        TicketOrigin.objects.select_related("customer", "customer__owner", "contact", "group_chat")
        .filter(ticket_id=ticket.pk)
        .first()
    )
    if origin is not None:
        request = context.get("request")
        origin.show_contact_details = can_read(getattr(request, "user", None))
    return origin
