from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "andon.knowledge"
    label = "knowledge"

    def ready(self):
        from andon.knowledge import search
        from andon.tickets import events

        # After commit, in the worker: the index is rebuilt from the ticket, so nothing is lost.
        events.subscribe(
            "knowledge.search",
            search.on_ticket_event,
            phase=events.AFTER_COMMIT,
            kinds=search.INDEXED_EVENT_KINDS,
        )
