"""Worker entry points for the outbox. Like the OLA sweep, the periodic outbox sweep takes no
Huey lock (a killed worker would keep it forever); each delivery locks its row instead."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from andon.notifications import outbox

log = logging.getLogger(__name__)


@db_task(retries=0)
def deliver_task(message_id: int) -> None:
    outbox.deliver(message_id)


@db_task(retries=0)
def deliver_key_task(key: str) -> None:
    outbox.deliver_new(key)


@db_task(retries=0)
def deliver_keys_task(keys: list) -> None:
    """First deliveries of a large batch (see outbox.KEYS_PER_TASK), one after the other; a
    message whose attempt fails here stays due, and the outbox sweep sends it."""
    for key in keys:
        try:
            outbox.deliver_new(key)
        except Exception:
            log.exception("first delivery of %s failed; the outbox sweep retries it", key)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox_task() -> None:
    outbox.sweep_outbox()
