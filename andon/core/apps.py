from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "andon.core"
    label = "core"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from andon.core import (
            checks,  # noqa: F401  (registers the deploy checks)
            config_cache,
        )

        request_started.connect(config_cache.request_started, dispatch_uid="config-cache-start")
        request_finished.connect(config_cache.request_finished, dispatch_uid="config-cache-end")
