"""API routes: /api/v1/… (the REST API) and /api/schema/, /api/docs/ (OpenAPI)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from andon.catalog import api as catalog_api
from andon.core.api import API_NOT_FOUND_NAME, api_not_found
from andon.queues import api as queues_api
from andon.tickets import api as tickets_api

app_name = "api"

ticket = "v1/tickets/<int:ticket_id>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # configuration
    path("v1/queues/", queues_api.QueueListView.as_view(), name="queue-list"),
    path("v1/queues/<int:queue_id>/", queues_api.QueueDetailView.as_view(), name="queue-detail"),
    path("v1/catalog/", catalog_api.CatalogListView.as_view(), name="catalog-list"),
    # tickets
    path("v1/tickets/", tickets_api.TicketListView.as_view(), name="ticket-list"),
    path("v1/", include("andon.ticketsearch.api_urls")),
    path(ticket, tickets_api.TicketDetailView.as_view(), name="ticket-detail"),
    *[
        path(ticket + f"{name}/", view.as_view(), name=f"ticket-{name}")
        for name, view in tickets_api.ACTION_VIEWS.items()
    ],
    path(ticket + "comments/", tickets_api.TicketCommentsView.as_view(), name="ticket-comments"),
    path(ticket + "events/", tickets_api.TicketEventsView.as_view(), name="ticket-events"),
    path(
        ticket + "attachments/<int:attachment_id>/",
        tickets_api.TicketAttachmentView.as_view(),
        name="ticket-attachment",
    ),
    # Each area's own routes (configuration, OLA, notifications, reports, knowledge, customers).
    *[
        path("v1/", include(f"andon.{area}.api_urls"))
        for area in (
            "queues",
            "catalog",
            "fields",
            "accounts",
            "audit",
            "ola",
            "notifications",
            "reports",
            "knowledge",
            "customers",
            "savedviews",
        )
    ],
    # Anything else under /api/ answers in the API's JSON error shape, not an HTML page.
    re_path(r"^(?P<path>.*)$", api_not_found, name=API_NOT_FOUND_NAME),
]
