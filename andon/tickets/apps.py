from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "andon.tickets"
    label = "tickets"

    def ready(self):
        # Web processes do not autodiscover tasks modules (only the Huey consumer does), so the
        # fan-out task is wired to the event pipeline here.
        from andon.tickets import events, tasks

        events.set_fanout_scheduler(tasks.fanout_task)
