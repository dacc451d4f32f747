"""One address flooding pages: a bare, translated 429 before sessions and the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from supportal.core.ratelimit import LocalBudget

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_budget(settings: object) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "requests": "5/m"}  # type: ignore[attr-defined]


class FloodGuardTests:
    def test_an_address_over_its_budget_gets_a_bare_429_in_its_language(
        self, small_budget: None, django_assert_num_queries: Callable
    ) -> None:
        flooder, other = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
        # Each Client builds its own middleware (and budget): share one handler instead.
        other.handler = flooder.handler
        statuses = [flooder.get("/ko/help/").status_code for _ in range(5)]
        assert statuses == [200] * 5
        with django_assert_num_queries(0):
            refused = flooder.get("/ko/help/")
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        text = refused.content.decode()
        assert "<h1>시도 횟수가 너무 많습니다</h1>" in text
        assert "1분 후에 다시 시도해 주십시오." in text
        assert '<html lang="ko">' in text
        assert "Set-Cookie" not in refused
        # Everyone else is served as before, and static files never count.
        assert other.get("/en/help/").status_code == 200
        assert flooder.get("/static/js/rum.js").status_code in (200, 404)
        assert flooder.get("/en/help/").status_code == 429

    def test_refusals_are_logged_under_their_own_route(
        self, small_budget: None, caplog: pytest.LogCaptureFixture
    ) -> None:
        flooder = Client(REMOTE_ADDR="203.0.113.10")
        for _ in range(6):
            flooder.get("/en/help/")
        refused = [r.getMessage() for r in caplog.records if " 429 " in r.getMessage()]
        assert len(refused) == 1 and "route=flood_guard" in refused[0]

    def test_the_window_ends_and_old_addresses_are_forgotten(self) -> None:
        budget = LocalBudget(limit=2, window=60)
        assert [budget.take("a", 0.0) for _ in range(3)] == [0, 0, 60]
        assert budget.take("a", 30.0) == 30
        assert budget.take("a", 60.0) == 0
        budget.most_addresses = 3
        for n in range(3):
            budget.take(f"b{n}", 61.0)
        budget.take("c", 200.0)  # the table is full: windows that ended are dropped
        assert set(budget.counts) == {"c"}


class ClientAddressTests:
    """Rate limits count under the client's address, also behind a trusted reverse proxy."""

    def address(self, remote: str, forwarded: str = "") -> str:
        from django.test import RequestFactory

        from supportal.core.ratelimit import client_address

        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
        return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))

    def test_only_a_trusted_proxy_names_the_client(self, settings: object) -> None:
        settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "10.0.0.0/8"]  # type: ignore[attr-defined]
        assert self.address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
        # A chain of trusted proxies: the nearest untrusted hop is the client; what the client
        # wrote itself (the leftmost entries) is ignored.
        assert self.address("10.1.2.3", "6.6.6.6, 203.0.113.9, 10.9.9.9") == "203.0.113.9"
        # Anyone else's header counts for nothing.
        assert self.address("198.51.100.7", "203.0.113.9") == "198.51.100.7"
        assert self.address("127.0.0.1", "2001:db8::1") == "2001:db8::/64"
        assert self.address("127.0.0.1", "not an address") == "not an address"
        assert self.address("127.0.0.1") == "127.0.0.1"

    def test_two_visitors_behind_one_proxy_have_their_own_budgets(self, settings: object) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "requests": "3/m"}  # type: ignore[attr-defined]
        proxy = Client(REMOTE_ADDR="127.0.0.1")
        flooded = [
            proxy.get("/en/help/", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code for _ in range(4)
        ]
        assert flooded == [200, 200, 200, 429]
        assert proxy.get("/en/help/", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
