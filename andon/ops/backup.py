"""`andon backup` / `andon restore`: one .tar.gz with the database, the attachments and a
manifest of versions and counts.

The database goes through Django's dumpdata / loaddata in JSON Lines, not pg_dump or SQLite's
.backup: one format for both engines (a SQLite trial desk restores into PostgreSQL), no client
tools of the right major version needed on the host, and rows are streamed line by line both
ways. Restore brings an empty database to the backup's exact migration state, loads the rows
(primary keys and sequences included), then migrates forward to this code's schema, so a backup
from an older release restores into a newer one."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import django
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.jsonl"
MEDIA = "media/"
# Written by the storage readiness probe; nothing of the desk's.
SKIP_MEDIA_PREFIXES = ("health_check_storage_test/",)
# Sessions are not carried over: after a restore everyone signs in again. (The throttle and
# lock-out cache table has no model and is not dumped either.)
EXCLUDE = ["sessions.session"]


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why in words."""


def _andon_version() -> str:
    try:
        return version("andon")
    except PackageNotFoundError:
        return "unknown"


def _model_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in EXCLUDE
    }


def _applied_leaves(connection) -> dict[str, list[str]]:
    """Per app, the applied migrations that no other applied migration of the app depends on."""
    executor = MigrationExecutor(connection)
    applied = set(MigrationRecorder(connection).applied_migrations())
    graph = executor.loader.graph
    leaves: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        key = (app_label, name)
        if key not in graph.nodes:
            continue
        children = {c for c in graph.node_map[key].children if c[0] == app_label}
        if not children & applied:
            leaves.setdefault(app_label, []).append(name)
    return leaves


def _walk_storage(storage, path: str = "") -> Iterator[str]:
    directories, files = storage.listdir(path)
    for name in sorted(files):
        full = f"{path}{name}"
        if not full.startswith(SKIP_MEDIA_PREFIXES):
            yield full
    for directory in sorted(directories):
        if not f"{path}{directory}/".startswith(SKIP_MEDIA_PREFIXES):
            yield from _walk_storage(storage, f"{path}{directory}/")


def _media_names(storage) -> list[str]:
    try:
        return list(_walk_storage(storage))
    except FileNotFoundError:  # nothing uploaded yet
        return []


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(tz=UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


@dataclass
class Summary:
    path: Path
    rows: int
    files: int
    bytes: int


def backup(*, output: Path, database: str = DEFAULT_DB_ALIAS) -> Summary:
    """Write the backup to `output` (a .tar.gz). The rows are read in one transaction (a
    consistent snapshot on PostgreSQL) while the desk keeps running."""
    connection = connections[database]
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="andon-backup-") as scratch:
        dump = Path(scratch) / DATABASE
        # A consistent snapshot, unless the caller already runs in a transaction (then its own).
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic(using=database):
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            counts = _model_counts()
            migrations = _applied_leaves(connection)
            call_command(
                "dumpdata",
                format="jsonl",
                output=str(dump),
                exclude=EXCLUDE,
                use_base_manager=True,
                database=database,
                verbosity=0,
            )
        files = []
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=DATABASE)
            for name in _media_names(default_storage):
                digest = hashlib.sha256()
                with default_storage.open(name, "rb") as handle:
                    data = handle.read()
                digest.update(data)
                _add_bytes(archive, MEDIA + name, data)
                files.append({"name": name, "size": len(data), "sha256": digest.hexdigest()})
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(tz=UTC).isoformat(),
                "versions": {
                    "andon": _andon_version(),
                    "django": django.get_version(),
                    "python": platform.python_version(),
                    "database": f"{connection.vendor} {_server_version(connection)}",
                },
                "migrations": migrations,
                "rows": counts,
                "database_sha256": _sha256(dump),
                "files": files,
            }
            _add_bytes(
                archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            )
        os.replace(partial, output)
    return Summary(output, sum(counts.values()), len(files), sum(f["size"] for f in files))


def _server_version(connection) -> str:
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        number = connection.pg_version
        return f"{number // 10000}.{number % 10000}"
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    return ""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path: Path) -> dict:
    with tarfile.open(path, "r:gz") as archive:
        try:
            member = archive.getmember(MANIFEST)
        except KeyError as error:
            raise BackupError(f"{path} is not an Andon backup (no {MANIFEST})") from error
        return json.load(archive.extractfile(member))


def _database_is_empty(connection) -> bool:
    if "accounts_user" not in connection.introspection.table_names():
        return True
    from andon.accounts.models import User
    from andon.tickets.models import Ticket

    return not User.objects.using(connection.alias).exists() and not (
        Ticket.objects.using(connection.alias).exists()
    )


def _check_migrations(manifest: dict, connection) -> list[tuple[str, str]]:
    graph = MigrationExecutor(connection).loader.graph
    targets = []
    unknown = []
    for app_label, names in manifest["migrations"].items():
        for name in names:
            if (app_label, name) in graph.nodes:
                targets.append((app_label, name))
            else:
                unknown.append(f"{app_label}.{name}")
    if unknown:
        raise BackupError(
            "The backup was made by a newer Andon (unknown migrations: "
            + ", ".join(unknown[:5])
            + "); install that release or a later one, then restore."
        )
    return targets


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = member.name
        if name.startswith("/") or ".." in Path(name).parts or not (member.isfile()):
            raise BackupError(f"refusing archive member {name!r}")
        members.append(member)
    return members


def restore(*, path: Path, force: bool = False, database: str = DEFAULT_DB_ALIAS) -> Summary:
    """Restore a backup into an empty database (or, with force, replace what is there)."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    connection = connections[database]
    if not force and not _database_is_empty(connection):
        raise BackupError(
            "The database is not empty (it has people or tickets); restore into an empty "
            "database, or pass --force to replace everything in it."
        )
    targets = _check_migrations(manifest, connection)
    with tempfile.TemporaryDirectory(prefix="andon-restore-") as scratch:
        with tarfile.open(path, "r:gz") as archive:
            members = _safe_members(archive)
            for member in members:
                target = Path(scratch) / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
        dump = Path(scratch) / DATABASE
        if _sha256(dump) != manifest["database_sha256"]:
            raise BackupError("the database dump does not match its manifest (damaged file?)")
        # The backup's schema, its rows, then this code's schema.
        MigrationExecutor(connection).migrate(targets)
        with transaction.atomic(using=database):
            call_command(
                "flush",
                interactive=False,
                inhibit_post_migrate=True,
                database=database,
                verbosity=0,
            )
            call_command("loaddata", str(dump), database=database, verbosity=0)
        call_command("migrate", interactive=False, database=database, verbosity=0)
        files = manifest["files"]
        for entry in files:
            source = Path(scratch) / (MEDIA + entry["name"])
            data = source.read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise BackupError(f"attachment {entry['name']} does not match its manifest")
            if default_storage.exists(entry["name"]):
                default_storage.delete(entry["name"])
            saved = default_storage.save(entry["name"], io.BytesIO(data))
            if saved != entry["name"]:
                raise BackupError(f"storage renamed {entry['name']} to {saved}")
    return Summary(path, sum(manifest["rows"].values()), len(files), sum(f["size"] for f in files))


def default_output() -> Path:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S")
    from django.conf import settings

    return Path(settings.DATA_DIR) / "backups" / f"andon-backup-{stamp}.tar.gz"


def print_summary(summary: Summary, verb: str, stream=sys.stdout) -> None:
    megabytes = summary.bytes / 1024 / 1024
    stream.write(
        f"{verb} {summary.path}: {summary.rows} rows, {summary.files} attachment files "
        f"({megabytes:.1f} MB)\n"
    )
