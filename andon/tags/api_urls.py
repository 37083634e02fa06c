"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.tags import api

urlpatterns = [
    path("tags/", api.TagListView.as_view(), name="tag-list"),
    path("tags/<int:tag_id>/", api.TagDetailView.as_view(), name="tag-detail"),
    path("tags/<int:tag_id>/merge/", api.TagMergeView.as_view(), name="tag-merge"),
    path("tickets/<int:ticket_id>/tags/", api.TicketTagsView.as_view(), name="ticket-tags"),
    path(
        "tickets/<int:ticket_id>/tags/<int:tag_id>/",
        api.TicketTagView.as_view(),
        name="ticket-tag",
    ),
    path("reports/by-tag/", api.TagReportView.as_view(), name="reports-by-tag"),
]
