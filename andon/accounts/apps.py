from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "andon.accounts"
    label = "accounts"

    def ready(self):
        from andon.accounts import importing, tasks

        importing.use_import_task(tasks.run_import_task)
