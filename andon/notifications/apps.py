from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "andon.notifications"
    label = "notifications"
