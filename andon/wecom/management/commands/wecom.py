"""`andon wecom sync [--dry-run] [--skip-customers | --customers-only]`: sync the org chart from
WeCom now, in this process, then the customers (external contacts and customer group chats)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from andon.wecom import contacts_sync, orgsync
from andon.wecom.errors import WeComError
from andon.wecom.models import SyncRun


class Command(BaseCommand):
    help = "WeCom integration tasks: `sync [--dry-run]` makes Andon's org chart match WeCom's."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="sync departments, people and leaders from WeCom")
        sync.add_argument(
            "--dry-run", action="store_true", help="show what would change, change nothing"
        )
        which = sync.add_mutually_exclusive_group()
        which.add_argument(
            "--skip-customers", action="store_true", help="only the org chart, not the customers"
        )
        which.add_argument(
            "--customers-only", action="store_true", help="only external contacts and group chats"
        )

    def handle(self, *args, **options):
        if not options["customers_only"]:
            self._org_chart(options)
        if options["dry_run"]:
            if options["customers_only"]:
                raise CommandError("the customer sync has no dry run")
            return
        if not options["skip_customers"]:
            self._customers()

    def _customers(self):
        # After the org chart, so each follow user and chat member maps to their Andon person.
        try:
            counts = contacts_sync.full_sync()
        except WeComError as exc:
            raise CommandError(f"customer sync failed: {exc}") from exc
        self.stdout.write(
            "customers: " + ", ".join(f"{key} {value}" for key, value in counts.items())
        )

    def _org_chart(self, options):
        run = SyncRun.objects.create(
            dry_run=options["dry_run"], trigger=SyncRun.Trigger.COMMAND, created_at=timezone.now()
        )
        run = orgsync.run_sync(run.pk)
        if run.state == SyncRun.State.FAILED:
            raise CommandError(f"sync failed, nothing was changed: {run.error}")
        summary = run.summary
        title = "would change" if run.dry_run else "changed"
        counts = summary.get("counts") or {}
        if not counts:
            self.stdout.write("Andon's org chart already matches WeCom.")
            return
        self.stdout.write(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for change in summary.get("changes", []):
            detail = f" ({change['detail']})" if change.get("detail") else ""
            self.stdout.write(f"  {change['kind']} {change['action']}: {change['name']}{detail}")
        listed = len(summary.get("changes", []))
        total = sum(counts.values())
        if total > listed:
            self.stdout.write(f"  … and {total - listed} more")
