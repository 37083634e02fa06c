from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "andon.notifications"
    label = "notifications"

    def ready(self):
        from andon.notifications import outbox, services, tasks
        from andon.tickets import events

        outbox.use_delivery_tasks(
            by_id=tasks.deliver_task, by_key=tasks.deliver_key_task, by_keys=tasks.deliver_keys_task
        )

        # In the change's transaction: a notification or outbox row lost would be an alert lost.
        events.subscribe(
            "notifications",
            services.on_ticket_event,
            phase=events.IN_TRANSACTION,
            batch_handler=services.on_ticket_events,
        )
