from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "andon.portal"
    label = "portal"

    def ready(self):
        from andon.customers.services import CONTACT_EMAIL_CHANGED
        from andon.portal.services import revoke_contact_access

        if revoke_contact_access not in CONTACT_EMAIL_CHANGED:
            CONTACT_EMAIL_CHANGED.append(revoke_contact_access)
