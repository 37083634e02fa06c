"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.queues import views

urlpatterns = [
    path("", views.queue_list, name="queues"),
    path("new/", views.queue_create, name="queue-create"),
    path("people/", views.people_search, name="queue-people-search"),
    path("<int:queue_id>/", views.queue_detail, name="queue-detail"),
    path("<int:queue_id>/edit/", views.queue_edit, name="queue-edit"),
    path("<int:queue_id>/disable/", views.queue_disable, name="queue-disable"),
    path("<int:queue_id>/enable/", views.queue_enable, name="queue-enable"),
]
