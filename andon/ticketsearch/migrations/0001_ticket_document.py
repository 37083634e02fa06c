import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="TicketDocument",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="document",
                        serialize=False,
                        to="tickets.ticket",
                    ),
                ),
                ("title_terms", models.TextField(blank=True)),
                ("public_terms", models.TextField(blank=True)),
                ("internal_terms", models.TextField(blank=True)),
                ("indexed_at", models.DateTimeField()),
            ],
            options={"db_table": "ticketsearch_document"},
        ),
    ]
