from django.apps import AppConfig


class WecomConfig(AppConfig):
    name = "andon.wecom"
    label = "wecom"

    def ready(self) -> None:
        from andon.accounts.chart import register_chart_owner
        from andon.customers.lookups import register_lookups
        from andon.notifications.channels import register_sender
        from andon.notifications.models import Channel
        from andon.wecom import (
            contact_handlers,  # noqa: F401 - registers the handlers
            contacts_sync,
            customer_handlers,  # noqa: F401 - registers the handlers
            delivery,
            tasks,
            worker,
        )
        from andon.wecom.config import chart_owner_reason

        register_chart_owner(chart_owner_reason)
        register_lookups(contact=contacts_sync.lookup_contact, chat=contacts_sync.lookup_chat)
        worker.use_tasks(
            process_callbacks=tasks.process_callbacks_task, run_sync=tasks.run_sync_task
        )
        register_sender(Channel.WECOM, delivery.send, available=delivery.available)
