from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "andon.portal"
    label = "portal"

    def ready(self):
        from andon.portal import services
        from andon.tickets import origins

        origins.register(
            "portal",
            origins.Handler(
                clean=services.clean_portal_origin, record=services.record_portal_origin
            ),
        )
