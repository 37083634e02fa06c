"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.fields import views

urlpatterns = [
    path("", views.field_index, name="fields"),
    path("new/", views.field_create, name="field_create"),
    path("reorder/", views.field_reorder, name="field_reorder"),
    path("filing-form/", views.filing_form, name="field_filing_form"),
    path("<int:pk>/", views.field_edit, name="field_edit"),
    path("<int:pk>/retire/", views.field_retire, name="field_retire"),
    path("<int:pk>/restore/", views.field_restore, name="field_restore"),
]
