from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from andon.ops import backup


class Command(BaseCommand):
    help = "Write a backup (database rows, attachments, manifest with versions) to a .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument(
            "output",
            nargs="?",
            help="file to write (default: $ANDON_DATA_DIR/backups/andon-backup-<UTC time>.tar.gz)",
        )

    def handle(self, *args, output=None, **options):
        try:
            summary = backup.backup(output=Path(output) if output else backup.default_output())
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        backup.print_summary(summary, "Wrote", self.stdout)
