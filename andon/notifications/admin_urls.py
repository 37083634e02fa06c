"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.notifications import admin_views, views

urlpatterns = [
    path("", admin_views.index, name="notifications"),
    path("webhooks/<int:webhook_id>/", admin_views.webhook, name="notification-webhook"),
    path(
        "webhooks/<int:webhook_id>/rotate/",
        admin_views.webhook_rotate,
        name="notification-webhook-rotate",
    ),
    path(
        "webhooks/<int:webhook_id>/delete/",
        admin_views.webhook_delete,
        name="notification-webhook-delete",
    ),
    path("outbox/<int:message_id>/retry/", admin_views.outbox_retry, name="notification-retry"),
    # Personal, not admin: every signed-in person's own channels (linked from the user menu).
    path("preferences/", views.preferences, name="notification-preferences"),
]
