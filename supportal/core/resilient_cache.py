"""A Redis cache that answers "not cached" while Redis is down, instead of raising.

Everything kept in the cache can be rebuilt or done without: pages are rendered afresh,
sessions are read from the database (the cached_db engine), copies of settings are rebuilt
from the database, rate-limit counters start again (the limits fail open: see
docs/architecture.md, "Caches"). So an outage of Redis degrades the site to uncached pages
instead of answering 500 on every request.

After a failure the cache is not tried again for RETRY_AFTER seconds: a stopped Redis costs no
connection attempt per request, and the log gets one warning per outage, not one per call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER = 2.0
_FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)
T = TypeVar("T")


class _Outage:
    """Shared by every client in the process: one Redis, one state."""

    lock = threading.Lock()
    down_until = 0.0
    reported = False


def _guarded(call: Callable[[], T], fallback: Callable[[], T]) -> T:
    if _Outage.down_until and time.monotonic() < _Outage.down_until:
        return fallback()
    try:
        result = call()
    except _FAILURES as error:
        with _Outage.lock:
            _Outage.down_until = time.monotonic() + RETRY_AFTER
            if not _Outage.reported:
                _Outage.reported = True
                logger.warning("cache unavailable, serving without it: %s", error)
        return fallback()
    if _Outage.reported:
        with _Outage.lock:
            if _Outage.reported:
                _Outage.reported = False
                _Outage.down_until = 0.0
                logger.warning("cache available again")
    return result


def _missing_key(*args: Any) -> int:
    # What incr says of a key that is not there; rate limits then let the action pass.
    raise ValueError("cache unavailable")


def _resilient(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    original = getattr(RedisCacheClient, name)

    def method(self: RedisCacheClient, *args: Any) -> Any:
        return _guarded(lambda: original(self, *args), lambda: fallback(*args))

    method.__name__ = name
    return method


class ResilientRedisCacheClient(RedisCacheClient):
    add = _resilient("add", lambda *args: False)
    get = _resilient("get", lambda key, default: default)
    set = _resilient("set", lambda *args: None)
    touch = _resilient("touch", lambda *args: False)
    delete = _resilient("delete", lambda *args: False)
    get_many = _resilient("get_many", lambda *args: {})
    has_key = _resilient("has_key", lambda *args: False)
    incr = _resilient("incr", _missing_key)
    set_many = _resilient("set_many", lambda *args: [])
    delete_many = _resilient("delete_many", lambda *args: None)
    clear = _resilient("clear", lambda *args: False)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
