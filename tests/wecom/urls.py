# The project's own urlconf (it mounts andon.wecom.urls at /wecom/): the sign-in flow and the
# config page need the rest of the site.
from andon.urls import urlpatterns  # noqa: F401
