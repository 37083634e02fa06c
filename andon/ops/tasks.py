"""Worker entry points of the operations app.

The daily retention job takes no Huey lock (a lock left by a killed worker would stop every
later run); two runs at once are safe: each deletes what is past its time, in small batches."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from andon.ops import retention


@db_periodic_task(crontab(minute="37", hour="3"))
def retention_task() -> None:
    retention.prune()
