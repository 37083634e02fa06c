from django.apps import AppConfig


class WecomConfig(AppConfig):
    name = "andon.wecom"
    label = "wecom"

    def ready(self) -> None:
        from andon.accounts.chart import register_chart_owner
        from andon.wecom import contact_handlers  # noqa: F401 - registers the handlers
        from andon.wecom.config import chart_owner_reason

        register_chart_owner(chart_owner_reason)
