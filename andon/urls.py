from django.urls import include, path

urlpatterns = [
    path("api/", include("andon.api_urls")),
    path("", include("andon.web_urls")),
]
