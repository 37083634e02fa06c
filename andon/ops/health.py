"""Readiness checks for /readyz, on django-health-check's check classes.

The library's checks cover the database, the cache and the file storage; Andon adds the
migrations, the workers' heartbeat and the OLA backlog. Database reads go through
sync_to_async(thread_sensitive=True), so they use the request thread's connection."""

from __future__ import annotations

import dataclasses
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable

from andon.ops import selectors

_migrations_ok_until = 0.0


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration this code ships is applied (a new release started before `andon migrate`
    would fail on missing columns). A positive answer is remembered for a minute."""

    alias: str = DEFAULT_DB_ALIAS

    async def run(self) -> None:
        global _migrations_ok_until
        if time.monotonic() < _migrations_ok_until:
            return
        pending = await sync_to_async(self._pending, thread_sensitive=True)()
        if pending:
            raise ServiceUnavailable(f"{pending} migration(s) not applied; run `andon migrate`")
        _migrations_ok_until = time.monotonic() + 60

    def _pending(self) -> int:
        executor = MigrationExecutor(connections[self.alias])
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@dataclasses.dataclass
class WorkerAlive(HealthCheck):
    """A worker (and the one scheduling the periodic jobs) was seen within the stale window."""

    async def run(self) -> None:
        status = await sync_to_async(selectors.worker_status, thread_sensitive=True)()
        if not status.ok:
            raise ServiceUnavailable(status.problem())


@dataclasses.dataclass
class OlaBacklog(HealthCheck):
    """No OLA step is overdue by more than the stale window."""

    async def run(self) -> None:
        overdue = await sync_to_async(selectors.overdue_ola_steps, thread_sensitive=True)()
        if overdue:
            raise ServiceUnavailable(f"{overdue} OLA step(s) overdue by more than a minute")


@dataclasses.dataclass
class HueyRedis(HealthCheck):
    """The Redis task queue answers a PING (only when REDIS_URL is set)."""

    async def run(self) -> None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        client = Redis.from_url(settings.REDIS_URL, socket_timeout=3, socket_connect_timeout=3)
        try:
            await client.ping()
        except (RedisError, OSError) as error:
            raise ServiceUnavailable("Redis does not answer") from error
        finally:
            await client.aclose()


# (name shown in the body, check, whether its error text is ours and safe to show anyone).
# The library's texts can carry a database host name, so for those only the kind is shown.
def readiness_checks() -> list[tuple[str, HealthCheck, bool]]:
    checks: list[tuple[str, HealthCheck, bool]] = [
        ("database", Database(), False),
        ("migrations", MigrationsApplied(), True),
        ("cache", Cache(alias="throttle"), False),
        ("storage", Storage(), False),
        ("worker", WorkerAlive(), True),
        ("ola", OlaBacklog(), True),
    ]
    if settings.REDIS_URL:
        checks.insert(3, ("redis", HueyRedis(), True))
    return checks
