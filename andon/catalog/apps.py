from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "andon.catalog"
    label = "catalog"
