"""Indexes the reports read through (raw SQL on other apps' tables, which their models do not
describe, so no app's migration state changes):

* tickets finished in a range / open at an instant: COALESCE(resolved_at, closed_at);
* OLA timers started in a range: started_at;
* live timers about to breach: (state, due_at).
"""

from django.db import migrations

INDEXES = {
    "report_ticket_finished": ("tickets_ticket", "(COALESCE(resolved_at, closed_at))"),
    "report_timer_started": ("ola_olatimer", "started_at"),
    "report_timer_state_due": ("ola_olatimer", "state, due_at"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_ola_event_kinds"),
        ("ola", "0003_policies_timers_alerts"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, (table, columns) in INDEXES.items()
    ]
