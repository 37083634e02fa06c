"""`andon reports_rollup` — bring the reports' daily roll-up up to date now.

Without options it recomputes the days marked as changed (what the worker does every minute);
`--rebuild` recomputes every day from the raw tickets and timers (after a bulk import, a restore,
or a change of TIME_ZONE)."""

import time

from django.core.management.base import BaseCommand

from andon.reports import rollup


class Command(BaseCommand):
    help = "Refresh (or --rebuild) the daily roll-up the reports read."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="recompute every day from the raw data"
        )

    def handle(self, *args, rebuild=False, **options):
        started = time.perf_counter()
        if rebuild:
            rows = rollup.rebuild()
            message = f"roll-up rebuilt: {rows} rows"
        else:
            days = 0
            while done := rollup.refresh():
                days += done
            message = f"roll-up refreshed: {days} days recomputed"
        self.stdout.write(f"{message} in {time.perf_counter() - started:.1f} s")
