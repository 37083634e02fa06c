from django.apps import AppConfig


class WecomConfig(AppConfig):
    name = "andon.wecom"
    label = "wecom"
