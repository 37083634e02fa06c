"""The chat sidebar, mounted at /sidebar/ (namespace "customers")."""

from django.urls import path

from andon.customers import views

urlpatterns = [
    path("", views.sidebar, name="sidebar"),
    path("search/", views.sidebar_search, name="search"),
    path("context/", views.sidebar_context, name="context"),
    path("handover/", views.handover_page, name="handover"),
]
