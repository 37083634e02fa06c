"""API routes of saved views, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.savedviews import api

urlpatterns = [
    path("views/", api.SavedViewListView.as_view(), name="view-list"),
    path("views/counts/", api.SavedViewCountsView.as_view(), name="view-counts"),
    path("views/default/", api.DefaultViewView.as_view(), name="view-default"),
    path("views/<int:view_id>/", api.SavedViewDetailView.as_view(), name="view-detail"),
]
