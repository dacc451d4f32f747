"""Settings for the test suite: the real settings with tasks run in-process."""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

from supportal.settings import *  # noqa: F403
from supportal.settings import HUEY, PASSWORD_HASHERS, REDIS_URL

# Tasks run where they are enqueued, so a test sees their effect without a worker.
HUEY = {**HUEY, "immediate": True}
# Argon2 stays first in production; tests hash thousands of passwords, so they use a fast one.
# supportal/accounts/tests/test_passwords.py checks the production order separately.
PRODUCTION_PASSWORD_HASHERS = PASSWORD_HASHERS
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# pytest-xdist runs several test processes at once. Each gets a Redis database of its own:
# a test's cache.clear() flushes the whole database (sessions included), which must not sign
# out another process's users. gw0 uses database 1, gw1 database 2, ...
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker.startswith("gw"):
    _url = urlsplit(REDIS_URL)
    _db = int(_worker[2:]) + 1
    REDIS_URL = urlunsplit(_url._replace(path=f"/{_db}"))
    CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
    HUEY = {**HUEY, "url": REDIS_URL}

# One process serves every request of a test session from 127.0.0.1 (the live server of the
# browser tests, the test clients): the per-address budget is tested on its own
# (core/tests/test_flood.py); here it would only count the suite's own pace.
RATE_LIMITS = {**RATE_LIMITS, "requests": "1000000/m"}  # noqa: F405
# Chat tests start chats from 127.0.0.1 in servers whose database the test flushes but whose
# shared-cache counters it may not; the chat_start limit itself is the core rate-limit code.
RATE_LIMITS["chat_start"] = "100000/h"
# Timing beacons are random at the default rate; the tests that want them turn them on.
RUM_SAMPLE_RATE = 0.0

# SQLite tests use a file (in memory-backed /dev/shm where there is one), not SQLite's shared
# in-memory database: the servers tests start in threads (the live server, the chat server)
# then meet WAL locking and the busy timeout as in production, where the shared in-memory
# database fails at once with "database table is locked" when two threads write.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _shm = "/dev/shm"  # noqa: S108 - a private file name per process, removed after the run
    _folder = _shm if os.path.isdir(_shm) else tempfile.gettempdir()
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_folder, f"supportal-test-{os.getpid()}.sqlite3")
    }

# The chat's channel layer on the worker's own Redis database too.
if REDIS_URL:
    _layer = CHANNEL_LAYERS["default"]  # noqa: F405
    _hosts = [{**_layer["CONFIG"]["hosts"][0], "address": REDIS_URL}]
    CHANNEL_LAYERS = {"default": {**_layer, "CONFIG": {**_layer["CONFIG"], "hosts": _hosts}}}

# A stored search page's log row is written at once, so a test reads it right after the page
# (helpcenter/tests/test_searchlog.py turns the batches on).
SEARCH_LOG_FLUSH_SECONDS = 0
