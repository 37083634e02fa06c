"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

from django.urls import path

from andon.ola import views

calendar = "calendars/<int:calendar_id>/"
queue = "queues/<int:queue_id>/"

urlpatterns = [
    path("", views.index, name="ola"),
    path("calendars/new/", views.calendar_create, name="ola-calendar-create"),
    path(calendar, views.calendar_edit, name="ola-calendar"),
    path(calendar + "delete/", views.calendar_delete, name="ola-calendar-delete"),
    path(calendar + "exceptions/", views.exception_set, name="ola-exception-set"),
    path(calendar + "exceptions/remove/", views.exception_remove, name="ola-exception-remove"),
    path(queue, views.policy, name="ola-policy"),
    path(queue + "apply/", views.policy_apply, name="ola-policy-apply"),
    path(queue + "adopt/", views.policy_adopt, name="ola-policy-adopt"),
]
