from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "andon.audit"
    label = "audit"
