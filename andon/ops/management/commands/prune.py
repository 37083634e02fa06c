from django.core.management.base import BaseCommand

from andon.ops import retention


class Command(BaseCommand):
    help = "Prune the growing tables now, by their retention settings (the worker does it daily)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run=False, **options):
        counts = retention.prune(dry_run=dry_run)
        verb = "would prune" if dry_run else "pruned"
        for name, count in counts.items():
            self.stdout.write(f"{verb} {count} {name}")
