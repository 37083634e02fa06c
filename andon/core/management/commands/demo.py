import time

from django.core.management.base import BaseCommand, CommandError

from andon import demo


class Command(BaseCommand):
    help = (
        "Load the demo company 星河科技 (org chart, people, queues, catalog, ~300 tickets). "
        "Does nothing when it is already loaded; refuses a database with data of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=demo.TICKET_COUNT, help="how many tickets to build"
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            summary = demo.load_demo(tickets=options["tickets"])
        except demo.DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if not summary.created:
            self.stdout.write(str(summary))
            return
        self.stdout.write(self.style.SUCCESS(f"{summary} ({time.monotonic() - started:.1f} s)"))
        self.stdout.write("Log-ins:")
        for username, password, label in demo.demo_logins():
            self.stdout.write(f"  {username:<12} {password:<12} {label}")
