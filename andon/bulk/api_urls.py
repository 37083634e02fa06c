"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.bulk import api

urlpatterns = [
    path("bulk-jobs/", api.BulkJobListView.as_view(), name="bulk-job-list"),
    path("bulk-jobs/<int:job_id>/", api.BulkJobDetailView.as_view(), name="bulk-job-detail"),
]
