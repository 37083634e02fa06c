from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "andon.tags"
    label = "tags"
