from django.apps import AppConfig


class OlaConfig(AppConfig):
    name = "andon.ola"
    label = "ola"
