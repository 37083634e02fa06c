from django.urls import path

from andon.wecom import views

app_name = "wecom"

urlpatterns = [
    path("callback/", views.callback, name="callback"),
]
