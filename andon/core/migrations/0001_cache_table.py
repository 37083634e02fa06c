"""The database cache table behind rate limits and login lock-outs when no Redis is configured
(settings.CACHES["throttle"]). Created here so every set-up path that migrates has it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
