from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "andon.customers"
    label = "customers"
