"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.notifications import api

urlpatterns = [
    path("notifications/", api.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/read-all/",
        api.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        api.PreferencesView.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        api.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path("webhooks/", api.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<int:webhook_id>/", api.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:webhook_id>/deliveries/",
        api.WebhookDeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
    path("outbox/", api.OutboxListView.as_view(), name="outbox-list"),
    path("outbox/<int:message_id>/retry/", api.OutboxRetryView.as_view(), name="outbox-retry"),
]
