"""The full-text engines behind `andon.knowledge.search`, one per database vendor.

SQLite: an FTS5 table per index (external content over the index table, kept in sync by triggers,
so every write of an index row updates the full-text index in the same transaction), ranked by bm25.
PostgreSQL: a generated tsvector column (config 'simple' over the segmented terms; the title weighted
A) with a GIN index, ranked by ts_rank_cd.
"""

from django.db import migrations

TABLES = ("knowledge_article_search", "knowledge_ticket_search")
KEYS = {"knowledge_article_search": "article_id", "knowledge_ticket_search": "ticket_id"}


def _sqlite(table: str) -> list[str]:
    key = KEYS[table]
    fts = f"{table}_fts"
    cols = "title_terms, body_terms"
    new = f"new.{key}, new.title_terms, new.body_terms"
    old = f"'delete', old.{key}, old.title_terms, old.body_terms"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        f"content_rowid='{key}', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES ({new}); END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ({old}); END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ({old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES ({new}); END",
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_ai",
        f"DROP TRIGGER IF EXISTS {table}_ad",
        f"DROP TRIGGER IF EXISTS {table}_au",
        f"DROP TABLE IF EXISTS {table}_fts",
    ]


def _postgresql(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
        "to_tsvector('simple'::regconfig, body_terms)) STORED",
        f"CREATE INDEX {table}_tsv ON {table} USING gin (tsv)",
    ]


def _postgresql_drop(table: str) -> list[str]:
    return [f"DROP INDEX IF EXISTS {table}_tsv", f"ALTER TABLE {table} DROP COLUMN tsv"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            statements = _sqlite(table)
        elif vendor == "postgresql":
            statements = _postgresql(table)
        else:
            statements = []
        for sql in statements:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            statements = _sqlite_drop(table)
        elif vendor == "postgresql":
            statements = _postgresql_drop(table)
        else:
            statements = []
        for sql in statements:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles_and_index")]

    operations = [migrations.RunPython(forwards, backwards)]
