"""Worker entry points for the OLA engine.

The periodic sweep takes no Huey lock: a lock held by a worker that was killed would never be
released and stop every later sweep. Running two sweeps at once is safe — the claim skips rows
another sweep holds, and each step locks its timer row (SKIP LOCKED on PostgreSQL) and checks
its token. The sweep only hands due steps out; the workers run them, `STEP_CHUNK` per task.
The engine reaches these tasks through its port (`engine.use_step_tasks`, set in apps.py).
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from andon.ola import engine


@db_task(retries=0)
def ola_step_task(timer_id: int, token: str) -> None:
    engine.step(timer_id=timer_id, token=token)


def schedule_step(timer_id: int, token: str, eta) -> None:
    """The engine's step port: one step at its due time."""
    ola_step_task.schedule(args=(timer_id, token), eta=eta)


@db_task(retries=0)
def ola_steps_task(steps: list) -> dict:
    """A chunk of due steps from the sweeper; a chunk lost with its worker is handed out again
    by a later sweep (see engine.ENQUEUE_LEASE)."""
    return engine.run_steps(steps=[tuple(s) for s in steps])


@db_periodic_task(crontab(minute="*"))
def ola_sweep_task() -> None:
    engine.sweep()
