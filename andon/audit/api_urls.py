"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.audit import api

urlpatterns = [
    path("audit/", api.AuditListView.as_view(), name="audit-list"),
]
