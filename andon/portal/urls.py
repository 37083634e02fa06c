"""The requester portal, mounted at /portal/ (namespace "portal")."""

from django.urls import path

from andon.portal import views

urlpatterns = [
    path("", views.index, name="index"),
    path("link/", views.request_link, name="request_link"),
    path("magic/<str:token>/", views.magic, name="magic"),
    path("new/", views.new_ticket, name="new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/rating/", views.ticket_rate, name="rate"),
    path("tickets/<int:pk>/<slug:action>/", views.ticket_action, name="action"),
    path("articles/", views.articles, name="articles"),
    path("qr/", views.qr_page, name="qr"),
    path("qr.<str:fmt>", views.qr_image, name="qr_image"),
]
