"""API routes of this area, mounted under /api/v1/ (namespace "api")."""

from django.urls import path

from andon.fields import api

urlpatterns = [
    path("fields/", api.FieldListView.as_view(), name="field-list"),
    path("fields/reorder/", api.FieldReorderView.as_view(), name="field-reorder"),
    path("fields/<int:field_id>/", api.FieldDetailView.as_view(), name="field-detail"),
    path("fields/<int:field_id>/retire/", api.FieldRetireView.as_view(), name="field-retire"),
    path("fields/<int:field_id>/restore/", api.FieldRestoreView.as_view(), name="field-restore"),
    path(
        "catalog/<int:entry_id>/fields/",
        api.CatalogEntryFieldsView.as_view(),
        name="catalog-entry-fields",
    ),
]
