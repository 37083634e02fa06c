from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "andon.core"
    label = "core"

    def ready(self):
        from andon.core import checks  # noqa: F401  (registers the deploy checks)
