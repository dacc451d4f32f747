"""Anonymous help-center pages are cached per language under a content version.

Any change to published content bumps the version (in the shared cache, so every process
sees it), which makes every cached page stale at once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches

_KEY = "helpcenter:content-version"


def content_version() -> int:
    cache = caches[settings.SHARED_CACHE]
    version = cache.get(_KEY)
    if version is None:
        cache.add(_KEY, 1, None)
        version = cache.get(_KEY, 1)
    return int(version)


def bump_content_version() -> None:
    cache = caches[settings.SHARED_CACHE]
    try:
        cache.incr(_KEY)
    except ValueError:
        cache.set(_KEY, 2, None)
