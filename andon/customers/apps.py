from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "andon.customers"
    label = "customers"

    def ready(self):
        from andon.customers import origins, team

        origins.register()
        team.register()
