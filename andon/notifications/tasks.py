from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from andon.notifications import outbox


@db_task(retries=0)
def deliver_task(message_id: int) -> None:
    outbox.deliver(message_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("outbox-sweep")
def sweep_outbox_task() -> None:
    outbox.sweep_outbox()
