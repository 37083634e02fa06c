from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "andon.portal"
    label = "portal"

    def ready(self):
        from andon.customers.services import CONTACT_EMAIL_CHANGED
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
        if services.revoke_contact_access not in CONTACT_EMAIL_CHANGED:
            CONTACT_EMAIL_CHANGED.append(services.revoke_contact_access)
