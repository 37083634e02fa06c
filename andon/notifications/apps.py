from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "andon.notifications"
    label = "notifications"

    def ready(self):
        from andon.notifications import services
        from andon.tickets import events

        # In the change's transaction: a notification or outbox row lost would be an alert lost.
        events.subscribe("notifications", services.on_ticket_event, phase=events.IN_TRANSACTION)
