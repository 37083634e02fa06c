"""/customers/ (namespace "directory")."""

from django.urls import path

from andon.customers.directory import views

urlpatterns = [
    path("", views.directory, name="list"),
    path("<int:pk>/", views.customer_page, name="customer"),
    path("contacts/<int:pk>/", views.contact_page, name="contact"),
    path("chats/<int:pk>/", views.chat_page, name="chat"),
]
