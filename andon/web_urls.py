"""Web UI routes."""

urlpatterns = []
