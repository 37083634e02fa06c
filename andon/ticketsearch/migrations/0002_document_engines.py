"""The full-text engines over `ticketsearch_document`, one per database vendor.

SQLite: an FTS5 table (external content, kept in sync by triggers in the writing transaction)
with the three term columns; a requester's query names the public columns only.
PostgreSQL: two generated tsvectors with GIN indexes — `tsv_public` (title weighted A, public
text) for requester-side matches and `tsv_all` (the same plus internal comments) for the staff side.
"""

from django.db import migrations

TABLE = "ticketsearch_document"
FTS = f"{TABLE}_fts"
COLS = "title_terms, public_terms, internal_terms"

SQLITE = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLS}, content='{TABLE}', "
    "content_rowid='ticket_id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {TABLE}_ai AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}(rowid, {COLS}) VALUES "
    "(new.ticket_id, new.title_terms, new.public_terms, new.internal_terms); END",
    f"CREATE TRIGGER {TABLE}_ad AFTER DELETE ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, {COLS}) VALUES "
    "('delete', old.ticket_id, old.title_terms, old.public_terms, old.internal_terms); END",
    f"CREATE TRIGGER {TABLE}_au AFTER UPDATE ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, {COLS}) VALUES "
    "('delete', old.ticket_id, old.title_terms, old.public_terms, old.internal_terms); "
    f"INSERT INTO {FTS}(rowid, {COLS}) VALUES "
    "(new.ticket_id, new.title_terms, new.public_terms, new.internal_terms); END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {TABLE}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]
_PUBLIC = (
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "to_tsvector('simple'::regconfig, public_terms)"
)
POSTGRESQL = [
    f"ALTER TABLE {TABLE} ADD COLUMN tsv_public tsvector GENERATED ALWAYS AS ({_PUBLIC}) STORED",
    f"ALTER TABLE {TABLE} ADD COLUMN tsv_all tsvector GENERATED ALWAYS AS ({_PUBLIC} || "
    "to_tsvector('simple'::regconfig, internal_terms)) STORED",
    f"CREATE INDEX {TABLE}_tsv_public ON {TABLE} USING gin (tsv_public)",
    f"CREATE INDEX {TABLE}_tsv_all ON {TABLE} USING gin (tsv_all)",
]
POSTGRESQL_DROP = [
    f"DROP INDEX IF EXISTS {TABLE}_tsv_public",
    f"DROP INDEX IF EXISTS {TABLE}_tsv_all",
    f"ALTER TABLE {TABLE} DROP COLUMN tsv_all",
    f"ALTER TABLE {TABLE} DROP COLUMN tsv_public",
]


def _run(schema_editor, by_vendor):
    for sql in by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRESQL})


def backwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP})


class Migration(migrations.Migration):
    dependencies = [("ticketsearch", "0001_ticket_document")]

    operations = [migrations.RunPython(forwards, backwards)]
