from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "andon.reports"
    label = "reports"

    def ready(self):
        from andon.reports import rollup
        from andon.tickets import events

        # After commit, in the worker: the roll-up is recomputed from the tickets and timers.
        events.subscribe("reports.rollup", rollup.on_ticket_event, phase=events.AFTER_COMMIT)
