"""The configuration section (配置), /config/…: one module of pages per area."""

from django.urls import include, path

from andon.core import views as core_views

app_name = "config"

urlpatterns = [
    path("", core_views.config_index, name="index"),
    path("queues/", include("andon.queues.urls")),
    path("catalog/", include("andon.catalog.urls")),
    path("fields/", include("andon.fields.urls")),
    path("org/", include("andon.accounts.admin_urls")),
    path("audit/", include("andon.audit.urls")),
    path("ola/", include("andon.ola.urls")),
    path("follow-up/", include("andon.followup.config_urls")),
    path("notifications/", include("andon.notifications.admin_urls")),
    path("wecom/", include("andon.wecom.config_urls")),
]
