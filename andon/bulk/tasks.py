"""Worker entry points for bulk jobs; the job row is the state, so a lost task only delays."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from andon.bulk import services


@db_task(retries=0)
def run_bulk_job_task(job_id: int) -> None:
    services.run_job(job_id=job_id)


@db_periodic_task(crontab(minute="*"))
def resume_stale_bulk_jobs_task() -> None:
    services.resume_stale_jobs()
