"""Web routes of tickets, mounted at /tickets/ (namespace "tickets")."""

from django.urls import path

from andon.tickets import views

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
    path("<int:pk>/<slug:action>/", views.ticket_action, name="action"),
]
