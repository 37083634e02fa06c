from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from andon.ops import backup as backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `andon backup` into an empty database: its schema, its rows "
        "and its attachments, then this release's migrations."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the .tar.gz written by `andon backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace everything in a database that is not empty",
        )

    def handle(self, *args, **options):
        try:
            summary = backups.restore(path=Path(options["backup"]), force=options["force"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        except FileNotFoundError as error:
            raise CommandError(f"no such file: {error.filename}") from error
        backups.print_summary(summary, "Restored", self.stdout)
