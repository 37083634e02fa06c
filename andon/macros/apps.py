from django.apps import AppConfig


class MacrosConfig(AppConfig):
    name = "andon.macros"
    label = "macros"
