from django.apps import AppConfig


class TicketSearchConfig(AppConfig):
    name = "andon.ticketsearch"
    label = "ticketsearch"

    def ready(self):
        from andon.tickets import events
        from andon.ticketsearch import index

        # After commit, in the worker: the row is rebuilt from the ticket, so nothing is lost and
        # a repeated or late run writes the same thing.
        events.subscribe(
            "ticketsearch.index",
            index.on_ticket_event,
            phase=events.AFTER_COMMIT,
            kinds=index.indexed_event_kinds(),
        )
