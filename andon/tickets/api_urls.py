"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.tickets import api
from andon.tickets.views import api_links, people_api

ticket = "tickets/<int:ticket_id>/"

urlpatterns = [
    path("tickets/", api.TicketListView.as_view(), name="ticket-list"),
    path(ticket, api.TicketDetailView.as_view(), name="ticket-detail"),
    *[
        path(ticket + f"{name}/", view.as_view(), name=f"ticket-{name}")
        for name, view in api.ACTION_VIEWS.items()
    ],
    path(ticket + "links/", api_links.TicketLinksView.as_view(), name="ticket-links"),
    path(ticket + "links/<int:link_id>/", api_links.TicketLinkView.as_view(), name="ticket-link"),
    path(ticket + "merge/", api_links.TicketMergeView.as_view(), name="ticket-merge"),
    path(ticket + "comments/", api.TicketCommentsView.as_view(), name="ticket-comments"),
    path(ticket + "events/", api.TicketEventsView.as_view(), name="ticket-events"),
    path(
        ticket + "attachments/<int:attachment_id>/",
        api.TicketAttachmentView.as_view(),
        name="ticket-attachment",
    ),
    # people around a ticket: collaborators (卷入), watching (关注), copies (抄送)
    path(
        ticket + "collaborators/",
        people_api.TicketCollaboratorsView.as_view(),
        name="ticket-collaborators",
    ),
    path(
        ticket + "collaborators/<int:collaborator_id>/",
        people_api.TicketCollaboratorView.as_view(),
        name="ticket-collaborator",
    ),
    path(ticket + "watch/", people_api.TicketWatchView.as_view(), name="ticket-watch"),
    path(ticket + "cc/", people_api.TicketCarbonCopiesView.as_view(), name="ticket-cc-list"),
    path(ticket + "cc/<int:cc_id>/", people_api.TicketCarbonCopyView.as_view(), name="ticket-cc"),
]
