"""`andon backup` then `andon restore` into an empty database (SQLite file or a new PostgreSQL
database) gives the same rows and the same attachment bytes; restore refuses a desk in use."""

import contextlib
import hashlib
import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from andon import demo
from andon.ops import backup
from andon.tickets import services
from tests import factories
from tests.ops.conftest import ROOT, child_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _seeded_rows():
    """The demo desk builds on the rows migrations seed (the built-in 7×24 calendar); an earlier
    transactional test on the same worker flushes them, so seed them again the same way."""
    seed = importlib.import_module("andon.ola.migrations.0002_builtin_7x24_calendar")
    seed.create_7x24(django_apps, None)


@contextlib.contextmanager
def empty_database(tmp_path: Path):
    """A DATABASE_URL for a database with nothing in it, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    db = connection.settings_dict
    name = f"{db['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    params = {
        "host": db["HOST"] or "localhost",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    try:
        yield f"postgres://{auth}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def andon(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "andon.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def rows(dump: str) -> list[dict]:
    return sorted(
        (json.loads(line) for line in dump.splitlines() if line.strip()),
        key=lambda row: (row["model"], json.dumps(row["pk"])),
    )


def test_a_backup_restores_to_an_identical_desk(tmp_path):
    demo.load_demo(tickets=25)
    ticket = factories.make_ticket(
        actor=factories.requester(), entry=factories.catalog_leaf(factories.QueueFactory())
    )
    content = bytes(range(256)) * 40
    attachment = services.add_attachment(
        ticket_id=ticket.pk, actor=ticket.requester, upload=factories.upload("日志.log", content)
    )
    archive = tmp_path / "desk.tar.gz"
    call_command("backup", str(archive))

    manifest = backup.read_manifest(archive)
    assert set(manifest["versions"]) == {"andon", "django", "python", "database"}
    assert manifest["versions"]["database"].startswith(connection.vendor)
    assert manifest["rows"]["tickets.ticket"] == 26
    assert "ops" in manifest["migrations"] and "tickets" in manifest["migrations"]
    assert [f["name"] for f in manifest["files"]] == [attachment.file.name]

    source = tmp_path / "source.jsonl"
    call_command(
        "dumpdata", format="jsonl", output=str(source), exclude=["sessions.session"], verbosity=0
    )
    with empty_database(tmp_path) as url:
        target = tmp_path / "restored"
        env = child_env(target, DATABASE_URL=url)
        restored = andon("restore", str(archive), env=env)
        assert restored.returncode == 0, restored.stderr
        assert "Restored" in restored.stdout and "1 attachment files" in restored.stdout
        dump = andon("dumpdata", "--format", "jsonl", "--exclude", "sessions.session", env=env)
        assert dump.returncode == 0, dump.stderr
        assert rows(dump.stdout) == rows(source.read_text())
        copy = target / "media" / attachment.file.name
        assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(content).digest()

        again = andon("restore", str(archive), env=env)
        assert again.returncode != 0 and "not empty" in again.stderr
        forced = andon("restore", "--force", str(archive), env=env)
        assert forced.returncode == 0, forced.stderr


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    bogus = tmp_path / "x.tar.gz"
    import tarfile

    with tarfile.open(bogus, "w:gz"):
        pass
    with pytest.raises(backup.BackupError, match="not an Andon backup"):
        backup.restore(path=bogus)


def test_restore_refuses_a_backup_from_a_newer_release(tmp_path):
    factories.requester()
    archive = tmp_path / "desk.tar.gz"
    backup.backup(output=archive)
    manifest = backup.read_manifest(archive)
    manifest["migrations"]["tickets"] = ["9999_from_the_future"]
    import io
    import tarfile

    tampered = tmp_path / "newer.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as sink:
        for member in source.getmembers():
            if member.name == backup.MANIFEST:
                data = json.dumps(manifest).encode()
                member.size = len(data)
                sink.addfile(member, io.BytesIO(data))
            else:
                sink.addfile(member, source.extractfile(member))
    with pytest.raises(backup.BackupError, match="newer Andon"):
        backup.restore(path=tampered, force=True)
    assert default_storage is not None
