"""Worker entry points for the after-commit fan-out of ticket events (see andon.tickets.events).

The sweep takes no Huey lock, like the OLA sweep: a lock left by a killed worker would stop every
later sweep, and two sweeps at once are safe because each ticket's fan-out locks its row."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from andon.tickets import events


@db_task(retries=0)
def fanout_task(ticket_id: int) -> None:
    events.fan_out(ticket_id=ticket_id)


@db_task(retries=0)
def fanout_many_task(ticket_ids: list[int]) -> None:
    """The fan-out of a batch's tickets (`events.record_events`), one after the other."""
    for ticket_id in ticket_ids:
        events.fan_out(ticket_id=ticket_id)


@db_periodic_task(crontab(minute="*"))
def fanout_sweep_task() -> None:
    events.sweep_fanout()
