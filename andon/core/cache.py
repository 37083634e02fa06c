"""The Redis cache backend Andon's settings name, and the one counter every rate limit counts on.

Django's Redis backend builds a new `redis.Redis` client for every operation (connection pools
are kept; the client object, with its table of ~170 response callbacks, is not). An API request
reads the configuration tokens and counts a rate-limit hit, so that was several clients per
request; here each process keeps one client per pool, which redis-py documents as safe to share
between threads (every command borrows a connection from the pool).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClient


def count(cache, key: str, timeout: int) -> int:
    """Add one to the counter `key` (made at 1 with `timeout` seconds to live when absent) and
    return its new value. On Redis one round trip, atomic (MULTI: set-if-absent to 0, then
    INCR); elsewhere the cache API's add-then-incr."""
    if isinstance(cache, DjangoRedisCache):
        full_key = cache.make_and_validate_key(key)
        pipe = cache._cache.get_client(full_key, write=True).pipeline(transaction=True)
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return int(pipe.execute()[1])
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
