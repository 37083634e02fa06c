from django.urls import path

from andon.tags import views

urlpatterns = [
    path("", views.index, name="index"),
    path("suggest/", views.ticket_suggest, name="suggest"),
    path("<int:tag_id>/rename/", views.rename, name="rename"),
    path("<int:tag_id>/merge/", views.merge, name="merge"),
    path("<int:tag_id>/delete/", views.delete, name="delete"),
    path("ticket/<int:pk>/", views.ticket_add, name="ticket_add"),
    path("ticket/<int:pk>/<int:tag_id>/remove/", views.ticket_remove, name="ticket_remove"),
]
