from django.core.management.base import BaseCommand, CommandError

from andon.core.vendor import VendorError, vendor


class Command(BaseCommand):
    help = "Copy front-end libraries from node_modules into andon/static/vendor (run after npm ci)."

    def handle(self, *args, **options):
        try:
            written = vendor(log=lambda line: self.stdout.write(line))
        except VendorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Vendored {len(written)} files."))
