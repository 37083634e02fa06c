from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "andon.tickets"
    label = "tickets"

    def ready(self):
        # Web processes do not autodiscover tasks modules (only the Huey consumer does), so the
        # fan-out task is wired to the event pipeline here.
        from andon.accounts.work import register_work
        from andon.queues.ports import register_unfinished_tickets
        from andon.tickets import events, ownership, selectors, tasks

        events.set_fanout_scheduler(tasks.fanout_task, tasks.fanout_many_task)
        # Deactivating a person hands their unfinished tickets over (accounts sits below us).
        register_work(
            "tickets",
            count=ownership.unfinished_ticket_count,
            hand_over=ownership.hand_over_tickets,
        )
        # Dispatch and the queue pages weigh members by their unfinished tickets.
        register_unfinished_tickets(selectors.unfinished_tickets)
