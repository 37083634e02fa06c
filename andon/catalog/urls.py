"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.catalog import views

entry = "entries/<int:entry_id>/"

urlpatterns = [
    path("", views.catalog_page, name="catalog"),
    path("entries/", views.entry_create, name="catalog-create"),
    path(entry + "rename/", views.entry_rename, name="catalog-rename"),
    path(entry + "rebind/", views.entry_rebind, name="catalog-rebind"),
    path(entry + "retire/", views.entry_retire, name="catalog-retire"),
    path(entry + "move/", views.entry_move, name="catalog-move"),
]
