"""Worker entry point for the reports' daily roll-up.

No Huey lock, for the same reason as the OLA sweep: a lock left by a killed worker would stop
every later refresh. Two refreshes at once are safe — the second finds the state row locked
and returns at once."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from andon.reports import rollup


@db_periodic_task(crontab(minute="*"))
def reports_rollup_task() -> None:
    rollup.refresh()
