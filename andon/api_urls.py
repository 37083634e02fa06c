"""API routes: /api/v1/… (the REST API) and /api/schema/, /api/docs/ (OpenAPI)."""

urlpatterns = []
