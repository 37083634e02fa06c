from django.urls import include, path

urlpatterns = [
    path("", include("andon.ops.urls")),
    path("api/", include("andon.api_urls")),
    path("wecom/", include("andon.wecom.urls")),
    path("", include("andon.web_urls")),
]
