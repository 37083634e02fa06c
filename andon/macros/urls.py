from django.urls import path

from andon.macros import views

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.update, name="update"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("picker/<int:ticket_pk>/", views.picker, name="picker"),
    path("apply/<int:ticket_pk>/", views.apply, name="apply"),
]
