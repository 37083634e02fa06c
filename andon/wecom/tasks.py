"""Worker entry points for WeCom: callback processing and org chart syncs (processed callbacks
are purged by the daily retention job, andon.ops.retention)."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from andon.wecom import orgsync, services


@db_task(retries=0)
def process_callbacks_task(object_key: str) -> None:
    services.process_callbacks(object_key=object_key)


@db_periodic_task(crontab(minute="*"))
def sweep_callbacks_task() -> None:
    services.sweep_callbacks()


@db_task(retries=0)
def run_sync_task(run_id: int) -> None:
    orgsync.run_sync(run_id)


def _sync_schedule():
    fields = settings.WECOM_SYNC_SCHEDULE.split()
    if len(fields) != 5:
        return lambda _now: False  # empty (or unreadable): no scheduled sync
    minute, hour, day, month, day_of_week = fields
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)


@db_periodic_task(_sync_schedule())
def scheduled_sync_task() -> None:
    from andon.wecom.config import current
    from andon.wecom.models import SyncRun

    if current().configured:
        orgsync.start_sync(trigger=SyncRun.Trigger.SCHEDULE)  # run by run_sync_task
