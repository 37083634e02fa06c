"""API routes: /api/v1/… (the REST API, each app's own api_urls.py) and /api/schema/, /api/docs/
(OpenAPI)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from andon.core.api import API_NOT_FOUND_NAME, api_not_found

app_name = "api"

AREAS = (
    "queues",
    "catalog",
    "ticketsearch",
    "tickets",
    "fields",
    "accounts",
    "audit",
    "ola",
    "notifications",
    "reports",
    "knowledge",
    "customers",
    "tags",
    "bulk",
    "macros",
    "followup",
    "csat",
    "savedviews",
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *[path("v1/", include(f"andon.{area}.api_urls")) for area in AREAS],
    # Anything else under /api/ answers in the API's JSON error shape, not an HTML page.
    re_path(r"^(?P<path>.*)$", api_not_found, name=API_NOT_FOUND_NAME),
]
