from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "andon.knowledge"
    label = "knowledge"
