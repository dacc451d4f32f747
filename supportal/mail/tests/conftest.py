from __future__ import annotations

from collections.abc import Iterator

import pytest

from supportal.mail.tests.dovecot import DOVECOT, MISSING, Account, Dovecot, running_dovecot


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    # A missing Dovecot fails the tests: a skipped mail suite would pass CI without testing.
    if not DOVECOT.exists():
        pytest.fail(MISSING, pytrace=False)
    with running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Account:
    """A fresh user (empty INBOX) on the session's Dovecot."""
    user, password = dovecot_server.add_user()
    return Account(server=dovecot_server, user=user, password=password)
