from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "andon.csat"
    label = "csat"

    def ready(self):
        from andon.csat import links
        from andon.notifications import outbox

        # The requester's resolution notice and auto-confirm reminder carry a rating link.
        outbox.register_action_link("csat.rate", links.rating_link)
