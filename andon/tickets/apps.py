from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "andon.tickets"
    label = "tickets"
