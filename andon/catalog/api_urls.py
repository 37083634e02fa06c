"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.catalog import api

urlpatterns = [
    path("catalog/", api.CatalogListView.as_view(), name="catalog-list"),
    path("catalog/reorder/", api.CatalogReorderView.as_view(), name="catalog-reorder"),
    path("catalog/<int:entry_id>/", api.CatalogDetailView.as_view(), name="catalog-detail"),
]
