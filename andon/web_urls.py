"""Web UI routes: each app's own urls.py, mounted here (the configuration section 配置 is composed
in andon/config_urls.py from each app's configuration pages).

The top navigation shows a section only when its URL name exists (`{% url … as … %}`).
"""

from django.urls import include, path

from andon.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("andon.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tickets/views/", include(("andon.savedviews.urls", "savedviews"))),
    path("tickets/", include(("andon.tickets.urls", "tickets"))),
    path("notifications/", include(("andon.notifications.urls", "notifications"))),
    path("config/", include("andon.config_urls")),
    path("reports/", include(("andon.reports.urls", "reports"))),
    path("knowledge/", include(("andon.knowledge.urls", "knowledge"))),
    path("sidebar/", include(("andon.customers.urls", "customers"))),
    path("customers/", include(("andon.customers.directory.urls", "directory"))),
    path("portal/", include(("andon.portal.urls", "portal"))),
    path("csat/", include(("andon.csat.urls", "csat"))),
    path("wecom/", include("andon.wecom.urls")),
    path("tags/", include(("andon.tags.urls", "tags"))),
    path("bulk/", include(("andon.bulk.urls", "bulk"))),
    path("macros/", include(("andon.macros.urls", "macros"))),
]
