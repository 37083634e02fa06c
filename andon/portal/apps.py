from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "andon.portal"
    label = "portal"

    def ready(self):
        from andon.portal import services
        from andon.portal.selectors import is_portal_contact
        from andon.tickets import origins

        origins.register(
            "portal",
            origins.Handler(
                clean=services.clean_portal_origin,
                record=services.record_portal_origin,
                admits=is_portal_contact,
            ),
        )
