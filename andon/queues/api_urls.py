"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.queues import api

queue = "queues/<int:queue_id>/"

urlpatterns = [
    path("queues/", api.QueueListView.as_view(), name="queue-list"),
    path(queue, api.QueueDetailView.as_view(), name="queue-detail"),
    path(queue + "disable/", api.QueueDisableView.as_view(), name="queue-disable"),
    path(queue + "enable/", api.QueueEnableView.as_view(), name="queue-enable"),
    path(
        queue + "disable-impact/",
        api.QueueDisableImpactView.as_view(),
        name="queue-disable-impact",
    ),
]
