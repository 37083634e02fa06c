from django.apps import AppConfig


class FieldsConfig(AppConfig):
    name = "andon.fields"
    label = "fields"
