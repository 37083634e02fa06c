"""The 报表 pages, mounted at /reports/ (namespace "reports")."""

from django.urls import path

from andon.reports import views

urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
]
