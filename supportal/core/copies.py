"""Process-local copies of small, rarely changed configuration (policies, rules, schedules).

Hot paths (every request change, every emailed request) read rules that admins change rarely.
Each process keeps a copy built from the database and checks a version token in the shared
cache (Redis in production, the database cache without it) at most every `recheck` seconds,
so the usual read costs no query at all. A write calls `changed()` after its commit: a new
random token (never a counter, which a flushed cache or a rolled-back test transaction could
bring back) makes every process rebuild on its next check, this one at once. Nothing another
process needs lives only here: the database is the truth and every copy is rebuilt from it.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

T = TypeVar("T")


class SharedCopy(Generic[T]):
    instances: ClassVar[weakref.WeakSet[SharedCopy[object]]] = weakref.WeakSet()

    def __init__(self, key: str, build: Callable[[], T], *, empty: T, recheck: float = 5.0) -> None:
        SharedCopy.instances.add(self)  # type: ignore[arg-type]
        self.key = f"copy:{key}"
        self.build = build
        self.empty = empty  # what build() gives with nothing configured
        self.recheck = recheck
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version: str | None = None
        self._checked = 0.0
        self._pinned = False

    def _shared_version(self) -> str:
        cache = caches[settings.SHARED_CACHE]
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, None)
            version = cache.get(self.key)
        return str(version)

    def get(self) -> T:
        if self._pinned:
            return self.empty
        now = time.monotonic()
        if self._value is not None and now - self._checked < self.recheck:
            return self._value
        with self._lock:
            version = self._shared_version()
            if self._value is None or version != self._version:
                self._value, self._version = self.build(), version
            self._checked = now
            return self._value

    def changed(self) -> None:
        """Call inside or after the writing transaction: this process rebuilds at its next read,
        the others once the new token is set, on commit."""

        def bump() -> None:
            caches[settings.SHARED_CACHE].set(self.key, uuid.uuid4().hex, None)
            self.forget()

        self.forget()
        transaction.on_commit(bump)

    def forget(self) -> None:
        """Drop this process's copy (tests that change the rules in their own transaction)."""
        with self._lock:
            self._value, self._version, self._checked = None, None, 0.0
            self._pinned = False

    def pin_empty(self) -> None:
        """Tests: nothing configured, and no query to find that out, until changed()."""
        self.forget()
        self._pinned = True


def pin_all_empty() -> None:
    """Between tests: every copy empty without a query (so a test's query count does not depend
    on the tests before it) until the test configures something through a service."""
    for copy in list(SharedCopy.instances):
        copy.pin_empty()
