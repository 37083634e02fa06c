from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "andon.ops"
    label = "ops"

    def ready(self) -> None:
        from andon.core.notices import register_config_notice
        from andon.ops import (  # noqa: F401 (deploy checks, worker hooks)
            checks,
            heartbeat,
            selectors,
            task_context,
        )

        register_config_notice(selectors.config_notices)
