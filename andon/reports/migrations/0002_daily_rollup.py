"""The daily roll-up tables, and a partial index for the oldest breached live timers (the
reports' "breached now" list walks it instead of sorting every breached timer)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("queues", "0001_initial"),
        ("reports", "0001_report_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupDirtyDay",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("day", models.DateField()),
            ],
        ),
        migrations.CreateModel(
            name="RollupState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("refreshed_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="LiveRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("priority", models.CharField(max_length=2)),
                ("channel", models.CharField(max_length=20)),
                ("open", models.IntegerField(default=0)),
                ("breached", models.PositiveIntegerField(default=0)),
                (
                    "assignee",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "catalog_entry",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.catalogentry",
                    ),
                ),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="queues.queue",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="DailyDuration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("metric", models.CharField(max_length=20)),
                ("bucket", models.PositiveSmallIntegerField()),
                ("count", models.PositiveIntegerField()),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="queues.queue",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["day", "queue"], name="report_duration_day_queue")
                ],
            },
        ),
        migrations.CreateModel(
            name="DailyRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("priority", models.CharField(max_length=2)),
                ("channel", models.CharField(max_length=20)),
                ("created", models.PositiveIntegerField(default=0)),
                ("urges", models.PositiveIntegerField(default=0)),
                ("created_resolved", models.PositiveIntegerField(default=0)),
                ("finished", models.PositiveIntegerField(default=0)),
                ("resolved", models.PositiveIntegerField(default=0)),
                ("reopened", models.PositiveIntegerField(default=0)),
                ("response_met", models.PositiveIntegerField(default=0)),
                ("response_breached", models.PositiveIntegerField(default=0)),
                ("response_timed", models.PositiveIntegerField(default=0)),
                ("response_seconds", models.BigIntegerField(default=0)),
                ("resolution_met", models.PositiveIntegerField(default=0)),
                ("resolution_breached", models.PositiveIntegerField(default=0)),
                ("resolution_timed", models.PositiveIntegerField(default=0)),
                ("resolution_seconds", models.BigIntegerField(default=0)),
                (
                    "assignee",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "catalog_entry",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.catalogentry",
                    ),
                ),
                (
                    "queue",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="queues.queue",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["day", "queue"], name="report_rollup_day_queue")],
            },
        ),
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS report_timer_breached_live ON ola_olatimer "
            "(breached_at, id) WHERE active AND state = 'breached'",
            reverse_sql="DROP INDEX IF EXISTS report_timer_breached_live",
        ),
    ]
