from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from andon.ola import engine


@db_task(retries=0)
def ola_step_task(timer_id: int, token: str) -> None:
    engine.step(timer_id=timer_id, token=token)


@db_periodic_task(crontab(minute="*"))
@lock_task("ola-sweep")
def ola_sweep_task() -> None:
    engine.sweep()
