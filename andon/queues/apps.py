from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "andon.queues"
    label = "queues"
