from huey.contrib.djhuey import db_task

from andon.accounts.importing import run_import


@db_task(retries=2, retry_delay=10)
def run_import_task(job_id: int) -> None:
    run_import(job_id)
