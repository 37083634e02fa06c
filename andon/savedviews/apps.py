from django.apps import AppConfig


class SavedViewsConfig(AppConfig):
    name = "andon.savedviews"
    label = "savedviews"
