import os
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a DATABASE_URL for a child process (SQLite file or PostgreSQL)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(tmp_path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "HUEY_IMMEDIATE", "SECRET_KEY", "LOG_FORMAT"}
    }
    env.update(
        DATABASE_URL=database_url(),
        ANDON_DATA_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="andon.settings",
    )
    env.update(extra)
    return env
