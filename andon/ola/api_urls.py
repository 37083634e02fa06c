"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.ola import api

calendar = "calendars/<int:calendar_id>/"
queue = "queues/<int:queue_id>/"

urlpatterns = [
    path("calendars/", api.CalendarListView.as_view(), name="calendar-list"),
    path(calendar, api.CalendarDetailView.as_view(), name="calendar-detail"),
    path(
        calendar + "exceptions/",
        api.CalendarExceptionsView.as_view(),
        name="calendar-exceptions",
    ),
    path(queue + "ola-policy/", api.QueuePolicyView.as_view(), name="queue-ola-policy"),
    path(
        queue + "ola-policy/apply/",
        api.QueuePolicyApplyView.as_view(),
        name="queue-ola-policy-apply",
    ),
    path(
        queue + "ola-recommendation/",
        api.QueueRecommendationView.as_view(),
        name="queue-ola-recommendation",
    ),
    path(
        queue + "ola-recommendation/adopt/",
        api.QueueRecommendationAdoptView.as_view(),
        name="queue-ola-recommendation-adopt",
    ),
    path("tickets/<int:ticket_id>/ola/", api.TicketOlaView.as_view(), name="ticket-ola"),
]
