"""The periodic sweep of auto-confirm / auto-close clocks. No Huey lock (like the OLA sweep): a
lock left by a killed worker would stop every later sweep, and two sweeps at once are safe
because each step locks its ticket row first (see andon.followup.services)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from andon.followup import services


@db_periodic_task(crontab(minute="*"))
def followup_sweep_task() -> None:
    services.run_due()
