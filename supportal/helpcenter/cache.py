"""Anonymous pages are cached under a content version (supportal/core/pagecache.py).

Any change to published content sets a new version token in the shared cache, so every
process sees it and every cached page is stale at once. The token is random, never a counter:
a flushed cache must not bring back a number under which old pages are still stored.

Each process keeps the token it read for RECHECK seconds, so a cached page costs no shared-cache
read (on SQLite, no query) per request; the process that publishes forgets it at once, the
others within RECHECK seconds.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

_KEY = "helpcenter:content-version"
RECHECK = 2.0


class _Seen:
    token: str | None = None
    checked = 0.0


_seen = _Seen()


def content_version() -> str | None:
    """The current token; None when the shared cache cannot keep one (pages go uncached)."""
    now = time.monotonic()
    if _seen.token is not None and now - _seen.checked < RECHECK:
        return _seen.token
    cache = caches[settings.SHARED_CACHE]
    token = cache.get(_KEY)
    if token is None:
        cache.add(_KEY, uuid.uuid4().hex, None)
        token = cache.get(_KEY)
    _seen.token, _seen.checked = (None if token is None else str(token)), now
    return _seen.token


def bump_content_version() -> None:
    forget_content_version()
    caches[settings.SHARED_CACHE].set(_KEY, uuid.uuid4().hex, None)


def forget_content_version() -> None:
    """This process reads the token again on its next page (tests, and after a bump)."""
    _seen.token, _seen.checked = None, 0.0
