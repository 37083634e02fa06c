"""The project's routes: the operations probes (/healthz, /readyz, /metrics), the API under /api/
and the web UI (andon/web_urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("andon.ops.urls")),
    path("api/", include("andon.api_urls")),
    path("", include("andon.web_urls")),
]
