"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.reports import api

urlpatterns = [
    path("reports/summary/", api.SummaryView.as_view(), name="reports-summary"),
    path("reports/series/", api.SeriesView.as_view(), name="reports-series"),
    path("reports/by-queue/", api.ByQueueView.as_view(), name="reports-by-queue"),
    path("reports/by-priority/", api.ByPriorityView.as_view(), name="reports-by-priority"),
    path("reports/by-handler/", api.ByHandlerView.as_view(), name="reports-by-handler"),
    path("reports/top-catalog/", api.TopCatalogView.as_view(), name="reports-top-catalog"),
    path("reports/at-risk/", api.AtRiskView.as_view(), name="reports-at-risk"),
]
