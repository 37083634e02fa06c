"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

urlpatterns: list = []
