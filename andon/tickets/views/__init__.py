"""Ticket pages, by area. Thin: every read goes through the selectors (`get_visible_ticket` for
one ticket, `visible_tickets` for lists), every write is a service call, and a service error is
shown next to the form that caused it (never as a server error)."""

from andon.tickets.views.actions import ticket_action
from andon.tickets.views.files import attachment_download, ticket_attach
from andon.tickets.views.filing import ticket_create
from andon.tickets.views.listing import ticket_list
from andon.tickets.views.page import ticket_detail
from andon.tickets.views.people import ticket_edit, ticket_people

__all__ = [
    "attachment_download",
    "ticket_action",
    "ticket_attach",
    "ticket_create",
    "ticket_detail",
    "ticket_edit",
    "ticket_list",
    "ticket_people",
]
