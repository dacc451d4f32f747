from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches
from django.utils import translation

from supportal.core.copies import pin_all_empty
from supportal.core.pagecache import forget_local_copies
from supportal.helpcenter.context_processors import forget_cached_notices
from supportal.test import Personas, ScratchDatabase, make_personas

pytest_plugins = ["supportal.browser_testing"]

# Playwright's sync API runs an event loop in the test thread; the ORM calls our browser tests
# make between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _outbox_email(settings: pytest.FixtureRequest) -> None:
    """Send mail through our real backend (the outbox), as settings.py does.

    pytest-django replaces EMAIL_BACKEND with a memory box for every test; put ours back.
    core/tests/test_settings.py checks that production settings name the outbox too.
    """
    settings.EMAIL_BACKEND = "supportal.core.mail.OutboxBackend"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    pin_all_empty()
    yield
    for alias in ("default",):
        caches[alias].clear()
    # What each process keeps beside Redis for a few seconds (core/pagecache, the notices).
    forget_local_copies()
    forget_cached_notices()
    pin_all_empty()  # copies of rules built in the rolled-back transaction; no reads meanwhile


@pytest.fixture(autouse=True)
def _no_sla_policies() -> Iterator[None]:
    """No service level policies until a test makes one (through policies_changed()), and no
    shared-cache read for them meanwhile, so query counts are the same in every test."""
    from supportal.sla import policies

    policies.pin_empty()
    yield
    policies.pin_empty()


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language: a request through the test client
    leaves its language active in the thread, and the next test (under pytest-xdist, any test)
    would otherwise read Korean where it expects English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[ScratchDatabase]:
    """An empty database of its own for a subprocess (the crash tests), dropped afterwards."""
    database = ScratchDatabase(tmp_path)
    try:
        yield database
    finally:
        database.drop()
