from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "andon.catalog"
    label = "catalog"

    def ready(self) -> None:
        # Disabling a queue warns about the entries that dispatch to it (queues sits below us).
        from andon.catalog.selectors import dispatching_entries
        from andon.queues.ports import register_dispatching_entries

        register_dispatching_entries(dispatching_entries)
