"""Configuration pages of this area, mounted under /config/follow-up/ (namespace "config")."""

from django.urls import path

from andon.followup import config_views

urlpatterns = [
    path("queues/<int:queue_id>/", config_views.queue_periods, name="queue-follow-up"),
]
