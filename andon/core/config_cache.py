"""Configuration reads cached across requests, with invalidation that holds over several processes.

Configuration (catalog entries, queues, field templates, calendars, OLA policies, webhooks) is
read on every ticket write and changed rarely, by admins. Each configuration *area* has a version
token kept in the shared ``config`` cache (Redis in production, a file cache otherwise, see
``settings.CACHES``), so every web and worker process sees the same token. A cached value is
stored in this process's memory under the tokens of the areas it was built from; a write bumps
its area's token and every process's next read misses and loads afresh.

Writes bump through ``bump(area)`` in the service's transaction. The new token is published when
that transaction commits (``on_commit``): a reader in another process that misses before the
commit loads the old rows and stores them under the old token, which nobody asks for once the
new one is out. Until the commit, the writer's own reads bypass the cache (they must see the
uncommitted change, and must not publish it to anyone). A rolled-back write publishes nothing.

What this does not cover: rows changed behind the services' back (the Django shell, a raw
``UPDATE``) are seen after ``MAX_AGE`` at the latest, or at once after ``bump`` is called by
hand; ``andon`` commands that load configuration (imports, the demo) call the services.

Values are stored pickled and unpickled on every read, so a caller can never change a shared
copy (services set attributes on the rows they get); values that cannot change (frozen
dataclasses such as a calendar's spec) are shared as they are.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction

log = logging.getLogger(__name__)

CACHE_ALIAS = "config"
# Bounds how long a value can outlive a lost invalidation (a process killed between its commit
# and publishing the token, or the cache unreachable at that moment).
MAX_AGE = 300.0
MAX_ENTRIES = 4096

# The areas and who bumps them (a value built from several areas names them all).
ROLES = "roles"  # roles and who holds them: accounts (see AccountsConfig.ready)
CATALOG = "catalog"  # catalog entries: catalog.services
QUEUES = "queues"  # queues, their settings and members: queues.services
FIELDS = "fields"  # custom field templates and their scope: fields.services
CALENDARS = "calendars"  # business calendars and their exception dates: ola.calendar_services
OLA_POLICIES = "ola_policies"  # OLA policy per queue: ola.policy_services
WEBHOOKS = "webhooks"  # outgoing webhooks: notifications.services
# API tokens and the people they sign in: accounts (see AccountsConfig.ready and
# accounts.authentication), and the WeCom org sync's bulk writes.
PEOPLE = "people"
AREAS = (ROLES, CATALOG, QUEUES, FIELDS, CALENDARS, OLA_POLICIES, WEBHOOKS, PEOPLE)

T = TypeVar("T")

_lock = threading.Lock()
_values: dict[tuple, tuple[float, bool, object]] = {}
# Within one web request the tokens are read once, all areas in one round trip, and reused: a
# request sees the configuration as it stood when it first needed some (its own edits bypass the
# cache anyway). Outside requests (tasks, commands) every read asks the shared cache.
_request = threading.local()


def request_started(**kwargs) -> None:
    _request.tokens = {}


def request_finished(**kwargs) -> None:
    _request.tokens = None


def _token_key(area: str) -> str:
    return f"v:{area}"


def _tokens(areas: tuple[str, ...]) -> tuple[str, ...] | None:
    """The current token of each area (a fresh one for an area seen for the first time), or None
    when the shared cache cannot be reached: then nothing is cached."""
    memo = getattr(_request, "tokens", None)
    if memo is not None:
        if not all(area in memo for area in areas):
            found = _read_tokens(AREAS)
            if found is None:
                return None
            memo.update(zip(AREAS, found, strict=True))
        return tuple(memo[area] for area in areas)
    return _read_tokens(areas)


def _read_tokens(areas: tuple[str, ...]) -> tuple[str, ...] | None:
    cache = caches[CACHE_ALIAS]
    try:
        found = cache.get_many([_token_key(a) for a in areas])
        tokens = []
        for area in areas:
            token = found.get(_token_key(area))
            if token is None:
                # `add` keeps a token another process set meanwhile; read back whichever won.
                cache.add(_token_key(area), uuid.uuid4().hex, timeout=None)
                token = cache.get(_token_key(area))
            if token is None:
                return None
            tokens.append(token)
        return tuple(tokens)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the request, only slow it
        log.exception("config cache unreachable; reading configuration from the database")
        return None


def _publish(area: str) -> None:
    memo = getattr(_request, "tokens", None)
    if memo is not None:
        memo.pop(area, None)  # a commit in this request: later reads here see the new token
    try:
        caches[CACHE_ALIAS].set(_token_key(area), uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001
        log.exception(
            "config cache: could not publish a new %s token (stale up to %ss)", area, MAX_AGE
        )


class _Bump:
    """The on-commit callback of a write. While it waits in the connection's commit hooks, the
    area counts as changed by the current transaction; a rollback discards it (Django drops the
    hooks of a rolled-back transaction or savepoint), and with it the mark."""

    __slots__ = ("area",)

    def __init__(self, area: str):
        self.area = area

    def __call__(self) -> None:
        _publish(self.area)


def bump(*areas: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Mark `areas` changed by the current transaction; their new tokens go out at commit."""
    for area in areas:
        transaction.on_commit(_Bump(area), using=using)


def _changed_here(areas: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    if not connection.in_atomic_block or not connection.run_on_commit:
        return False
    wanted = set(areas)
    return any(
        isinstance(hook, _Bump) and hook.area in wanted for _, hook, _ in connection.run_on_commit
    )


def get(
    areas: str | tuple[str, ...], key: Hashable, load: Callable[[], T], *, immutable: bool = False
) -> T:
    """The value of `key` built by `load()` from the configuration of `areas`, cached until one
    of them is bumped. `load` must return something picklable (model rows, lists of them…), or,
    with `immutable`, something nobody can change, which is then handed out as it is."""
    areas = (areas,) if isinstance(areas, str) else tuple(areas)
    if _changed_here(areas):
        return load()
    tokens = _tokens(areas)
    if tokens is None:
        return load()
    memo_key = (areas, tokens, key)
    now = time.monotonic()
    entry = _values.get(memo_key)
    if entry is not None and now - entry[0] < MAX_AGE:
        return entry[2] if entry[1] else pickle.loads(entry[2])
    value = load()
    data = value if immutable else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with _lock:
        if len(_values) >= MAX_ENTRIES:
            _values.clear()  # tokens moved on or many keys: start over rather than track age
        _values[memo_key] = (now, immutable, data)
    return value


def clear() -> None:
    """Forget every value and token (tests start each case from an empty cache)."""
    _request.tokens = None
    with _lock:
        _values.clear()
    # Only the tokens: the shared cache may be a Redis database other things live in.
    caches[CACHE_ALIAS].delete_many([_token_key(a) for a in AREAS])
