from django.urls import path

from andon.wecom import views

app_name = "wecom"

urlpatterns = [
    path("callback/", views.callback, name="callback"),
    path("oauth/start/", views.oauth_start, name="oauth-start"),
    path("oauth/callback/", views.oauth_callback, name="oauth-callback"),
    path("login/qr/", views.qr_start, name="qr-login"),
    path("jssdk/config/", views.jssdk_config, name="jssdk-config"),
]
