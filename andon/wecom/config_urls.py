from django.urls import path

from andon.wecom import config_views as views

urlpatterns = [
    path("", views.index, name="wecom"),
    path("test/", views.connection_test, name="wecom-test"),
    path("sync/", views.sync_start, name="wecom-sync-start"),
    path("sync/<int:pk>/", views.sync_run, name="wecom-sync"),
    path("callbacks/<int:pk>/retry/", views.callback_retry, name="wecom-callback-retry"),
]
