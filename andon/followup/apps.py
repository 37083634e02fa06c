from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "andon.followup"
    label = "followup"

    def ready(self):
        from andon.followup import services
        from andon.tickets import events

        # In the change's transaction: a clock that is not started with the resolution (or not
        # stopped with a reopen) would confirm or close the wrong ticket.
        events.subscribe(
            "followup.clock",
            services.on_ticket_event,
            phase=events.IN_TRANSACTION,
            kinds=services.CLOCK_KINDS,
        )
