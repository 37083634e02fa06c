from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "andon.portal"
    label = "portal"
