from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "andon.reports"
    label = "reports"
