from django.urls import include, path

# The lead mounts andon.wecom.urls at /wecom/ in the project urlconf; these tests do the same.
urlpatterns = [path("wecom/", include("andon.wecom.urls"))]
