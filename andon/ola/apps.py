from django.apps import AppConfig


class OlaConfig(AppConfig):
    name = "andon.ola"
    label = "ola"

    def ready(self):
        from andon.ola import engine
        from andon.tickets import events

        # In the change's transaction: timers start, pause and stop with the change itself.
        events.subscribe("ola", engine.on_ticket_event, phase=events.IN_TRANSACTION)
