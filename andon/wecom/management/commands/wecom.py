"""`andon wecom sync [--dry-run]`: sync the org chart from WeCom now, in this process."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from andon.wecom import orgsync
from andon.wecom.models import SyncRun


class Command(BaseCommand):
    help = "WeCom integration tasks: `sync [--dry-run]` makes Andon's org chart match WeCom's."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="sync departments, people and leaders from WeCom")
        sync.add_argument(
            "--dry-run", action="store_true", help="show what would change, change nothing"
        )

    def handle(self, *args, **options):
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
