from django.urls import path

from andon.savedviews.views import pages

urlpatterns = [
    path("", pages.create, name="create"),
    path("default/", pages.set_default, name="default"),
    path("counts/", pages.counts, name="counts"),
    path("<int:pk>/", pages.update, name="update"),
    path("<int:pk>/delete/", pages.delete, name="delete"),
]
