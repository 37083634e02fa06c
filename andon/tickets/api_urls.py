"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.tickets import api

ticket = "tickets/<int:ticket_id>/"

urlpatterns = [
    path("tickets/", api.TicketListView.as_view(), name="ticket-list"),
    path(ticket, api.TicketDetailView.as_view(), name="ticket-detail"),
    *[
        path(ticket + f"{name}/", view.as_view(), name=f"ticket-{name}")
        for name, view in api.ACTION_VIEWS.items()
    ],
    path(ticket + "comments/", api.TicketCommentsView.as_view(), name="ticket-comments"),
    path(ticket + "events/", api.TicketEventsView.as_view(), name="ticket-events"),
    path(
        ticket + "attachments/<int:attachment_id>/",
        api.TicketAttachmentView.as_view(),
        name="ticket-attachment",
    ),
]
