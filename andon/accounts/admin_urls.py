"""Configuration pages of this area, mounted under /config/ (namespace "config")."""

urlpatterns = []
