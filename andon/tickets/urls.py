"""Web routes of tickets, mounted at /tickets/ (namespace "tickets")."""

from django.urls import path

from andon.tickets import views
from andon.tickets.views import links as link_views
from andon.tickets.views.live import ticket_live

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create, name="create"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/attachments/", views.ticket_attach, name="attach"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("<int:pk>/edit/", views.ticket_edit, name="edit"),
    path("<int:pk>/people/<slug:op>/", views.ticket_people, name="people"),
    path("<int:pk>/links/", link_views.ticket_link, name="link"),
    path("<int:pk>/links/<int:link_id>/delete/", link_views.ticket_unlink, name="unlink"),
    path("<int:pk>/merge/", link_views.ticket_merge, name="merge"),
    path("<int:pk>/live/", ticket_live, name="live"),
    path("<int:pk>/<slug:action>/", views.ticket_action, name="action"),
]
