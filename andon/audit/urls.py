"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.audit import views

urlpatterns = [
    path("", views.audit_list, name="audit"),
]
