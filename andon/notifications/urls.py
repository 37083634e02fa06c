"""Web routes of one's own notifications, mounted at /notifications/ (namespace
"notifications"; the configuration pages are admin_urls.py)."""

from django.urls import path

from andon.notifications import views

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("dropdown/", views.dropdown, name="dropdown"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/", views.notification_open, name="open"),
]
