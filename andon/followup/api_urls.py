"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.followup import api

urlpatterns = [
    path(
        "tickets/<int:ticket_id>/follow-up/",
        api.TicketFollowUpView.as_view(),
        name="ticket-follow-up",
    ),
    path(
        "queues/<int:queue_id>/follow-up/",
        api.QueueFollowUpView.as_view(),
        name="queue-follow-up",
    ),
]
