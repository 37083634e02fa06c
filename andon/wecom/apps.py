from django.apps import AppConfig


class WecomConfig(AppConfig):
    name = "andon.wecom"
    label = "wecom"

    def ready(self) -> None:
        from andon.wecom import contact_handlers  # noqa: F401 - registers the handlers
