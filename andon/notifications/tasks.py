"""Worker entry points for the outbox. Like the OLA sweep, the periodic outbox sweep takes no
Huey lock (a killed worker would keep it forever); each delivery locks its row instead."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from andon.notifications import outbox


@db_task(retries=0)
def deliver_task(message_id: int) -> None:
    outbox.deliver(message_id)


@db_task(retries=0)
def deliver_key_task(key: str) -> None:
    outbox.deliver_new(key)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox_task() -> None:
    outbox.sweep_outbox()
