from django.urls import path

from andon.bulk import views

urlpatterns = [
    path("", views.start, name="start"),
    path("<int:pk>/", views.job_page, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
]
