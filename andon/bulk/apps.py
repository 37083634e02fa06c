from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "andon.bulk"
    label = "bulk"

    def ready(self):
        # Web processes do not autodiscover tasks modules; the job runner is wired here.
        from andon.bulk import services, tasks

        services.set_job_scheduler(tasks.run_bulk_job_task)
