"""The one rate-limit mechanism (supportal/core/ratelimit.py): configuration, counting shared
by every process, the 429 page, and each endpoint it protects."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from supportal.core import ratelimit
from supportal.core.tests.test_settings import load_settings
from supportal.lib.env import ConfigError
from supportal.lib.rates import Rate, parse_rate, rates_with_overrides
from supportal.mail.models import InboundEmail
from supportal.mail.tests.test_inbound_http import http_mailbox, post_raw, raw_message
from supportal.mail.tests.test_inbound_http import url as inbound_url
from supportal.test import PASSWORD, ROOT, Personas, ScratchDatabase
from supportal.tickets.models import Ticket

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def limits(settings: Any, **rates: str) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """The shared cache as configured without Redis (the database table) and with it."""
    if request.param == "redis":
        assert redis_up(), "these tests need Redis on 127.0.0.1:6379 (as CI has)"
        settings.CACHES = {
            **settings.CACHES,
            "ratelimit-test": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/15",
                "KEY_PREFIX": f"rl-test-{secrets.token_hex(4)}",
            },
        }
        settings.SHARED_CACHE = "ratelimit-test"
        yield "redis"
        caches["ratelimit-test"].clear()
    else:
        if not settings.CACHES[settings.SHARED_CACHE]["BACKEND"].endswith("DatabaseCache"):
            settings.CACHES = {
                **settings.CACHES,
                "ratelimit-test": {
                    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                    "LOCATION": "supportal_cache",
                },
            }
            settings.SHARED_CACHE = "ratelimit-test"
            # With REDIS_URL set, `migrate` made no cache table; this test's transaction does.
            call_command("createcachetable", verbosity=0)
        yield "database"


class RateConfigTests:
    @pytest.mark.parametrize(
        ("text", "rate"),
        [
            ("10/15m", Rate(10, 900)),
            ("5/h", Rate(5, 3600)),
            ("120/M", Rate(120, 60)),
            (" 3 / 2d ", Rate(3, 172800)),
            ("7/30s", Rate(7, 30)),
        ],
    )
    def test_it_reads_a_rate_in_each_unit(self, text: str, rate: Rate) -> None:
        assert parse_rate(text) == rate

    def test_it_replaces_only_the_limits_named(self) -> None:
        rates = rates_with_overrides(
            "RATE_LIMITS", " search = 240/m, ", {"search": "120/m", "login": "5/15m"}
        )
        assert rates == {"search": Rate(240, 60), "login": Rate(5, 900)}

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("serch=1/m", "unknown limit 'serch'; the limits are login, search"),
            ("search=1/x", "search: '1/x' is not a rate"),
            ("search=0/m", "must be at least 1"),
            ("search", "must be written name=rate"),
        ],
    )
    def test_it_refuses_a_value_it_cannot_use(self, raw: str, message: str) -> None:
        with pytest.raises(ConfigError, match="RATE_LIMITS") as error:
            rates_with_overrides("RATE_LIMITS", raw, {"search": "120/m", "login": "5/15m"})
        assert message in str(error.value)

    def test_a_bad_value_stops_start_up_and_a_good_one_is_used(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, RATE_LIMITS="search=lots")
        assert result.returncode == 2
        assert "RATE_LIMITS: search: 'lots' is not a rate" in result.stderr
        result = load_settings(tmp_path, RATE_LIMITS="search=240/m")
        assert result.returncode == 0, result.stderr


HIT_TEN = (
    "import django; django.setup();"
    "from supportal.core import ratelimit;"
    "print(sum(ratelimit.hit('search', ['address:192.0.2.7']) > 0 for _ in range(10)))"
)


def _run_processes(count: int, env: dict[str, str]) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", HIT_TEN],
            env={**base, "DJANGO_SETTINGS_MODULE": "supportal.settings", **env},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out.strip())
    return outputs


class SharedCounterTests:
    """Four processes count ten actions each at the same time: all forty are allowed (no count
    doubled) and the forty-first is refused (no count lost)."""

    def test_processes_sharing_the_database_cache_lose_no_count(
        self, scratch_database: ScratchDatabase, tmp_path: Path
    ) -> None:
        env = {
            "DATABASE_URL": scratch_database.url,
            "VAR_DIR": str(tmp_path),
            "RATE_LIMITS": "search=40/h",
        }
        prepare = subprocess.run(
            [sys.executable, "manage.py", "createcachetable"],
            env={
                **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
                "DJANGO_SETTINGS_MODULE": "supportal.settings",
                **env,
            },
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert prepare.returncode == 0, prepare.stderr
        assert _run_processes(4, env) == ["0"] * 4
        assert _run_processes(1, env) == ["10"]

    def test_processes_sharing_redis_lose_no_count(self, tmp_path: Path) -> None:
        assert redis_up(), "these tests need Redis on 127.0.0.1:6379 (as CI has)"
        env = {
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "VAR_DIR": str(tmp_path),
            "RATE_LIMITS": "search=40/h",
        }
        try:
            assert _run_processes(4, env) == ["0"] * 4
            assert _run_processes(1, env) == ["10"]
        finally:
            redis.Redis.from_url(env["REDIS_URL"]).flushdb()


@pytest.mark.django_db
class CounterTests:
    def test_it_refuses_over_the_limit_and_recovers_after_the_window(
        self, settings: Any, backend: str
    ) -> None:
        limits(settings, search="3/m")
        who = ["address:192.0.2.1"]
        with time_machine.travel(START, tick=False) as traveller:
            assert [ratelimit.hit("search", who) for _ in range(3)] == [0, 0, 0]
            assert ratelimit.hit("search", who) == 60
            traveller.shift(45)
            assert ratelimit.hit("search", who) == 15  # the window began at the first action
            assert ratelimit.hit("search", ["address:192.0.2.2"]) == 0  # others are not held
            traveller.shift(16)
            assert ratelimit.hit("search", who) == 0

    def test_it_reads_and_resets_without_counting(self, settings: Any, backend: str) -> None:
        limits(settings, login="2/15m")
        who = ["email:casey@acme.test"]
        with time_machine.travel(START, tick=False):
            assert ratelimit.seconds_left("login", who) == 0
            ratelimit.hit("login", who)
            assert ratelimit.seconds_left("login", who) == 0
            ratelimit.hit("login", who)
            assert ratelimit.seconds_left("login", who) == 900
            assert ratelimit.seconds_left("login", who) == 900
            ratelimit.reset("login", who)
            assert ratelimit.seconds_left("login", who) == 0

    def test_an_ipv6_client_counts_per_64_block(self) -> None:
        def address(remote: str) -> str:
            return ratelimit.client_address(type("R", (), {"META": {"REMOTE_ADDR": remote}})())  # type: ignore[arg-type]

        assert address("2001:db8:1:2::1") == address("2001:db8:1:2:ffff::9")
        assert address("2001:db8:1:2::1") != address("2001:db8:1:3::1")
        assert address("::ffff:192.0.2.5") == address("192.0.2.5") == "192.0.2.5"


@pytest.mark.django_db
class TooManyPageTests:
    def test_it_answers_429_with_retry_after_and_a_page_in_korean(
        self, client: Client, settings: Any
    ) -> None:
        limits(settings, search="2/m")
        # Each a search of its own: a page stored from the same search runs none and is not
        # counted (the flood guard counts every request: test_flood.py).
        for word in ("printer", "scanner"):
            assert client.get("/ko/help/search/", {"q": word}).status_code == 200
        response = client.get("/ko/help/search/", {"q": "copier"})
        html = response.content.decode()
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert response["Cache-Control"] == "no-store"
        assert '<html lang="ko">' in html
        assert 'class="site-header"' in html  # the site's shell
        assert "1분" in html  # how long to wait, in words, in Korean
        assert "홈으로 이동" in html

    def test_an_htmx_request_gets_a_short_fragment(self, client: Client, settings: Any) -> None:
        limits(settings, suggest="1/m")
        client.get("/en/help/search/suggest/", {"q": "pri"}, headers={"HX-Request": "true"})
        response = client.get(
            "/en/help/search/suggest/", {"q": "prin"}, headers={"HX-Request": "true"}
        )
        html = response.content.decode()
        assert response.status_code == 429
        assert "<html" not in html
        assert 'role="status"' in html and "1 minute" in html

    def test_it_lets_the_same_client_in_again_after_the_window(
        self, client: Client, settings: Any
    ) -> None:
        limits(settings, search="1/m")
        with time_machine.travel(START, tick=False) as traveller:
            assert client.get("/en/help/search/", {"q": "one"}).status_code == 200
            assert client.get("/en/help/search/", {"q": "two"}).status_code == 429
            traveller.shift(61)
            assert client.get("/en/help/search/", {"q": "three"}).status_code == 200

    def test_each_address_counts_on_its_own(self, client: Client, settings: Any) -> None:
        limits(settings, search="1/m")
        assert client.get("/en/help/search/", {"q": "one"}).status_code == 200
        assert client.get("/en/help/search/", {"q": "two"}).status_code == 429
        assert (
            client.get("/en/help/search/", {"q": "three"}, REMOTE_ADDR="192.0.2.9").status_code
            == 200
        )

    def test_a_stored_search_page_is_not_a_search(self, client: Client, settings: Any) -> None:
        limits(settings, search="1/m")
        for _ in range(3):
            response = client.get("/en/help/search/", {"q": "printer"})
            assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit"
        assert client.get("/en/help/search/", {"q": "scanner"}).status_code == 429

    def test_a_signed_in_person_counts_on_their_account(
        self, client: Client, settings: Any, personas: Personas
    ) -> None:
        limits(settings, search="1/m")
        client.force_login(personas.customer)
        assert client.get("/en/help/search/").status_code == 200
        assert client.get("/en/help/search/").status_code == 429
        client.force_login(personas.colleague)  # same office address, another account
        assert client.get("/en/help/search/").status_code == 200


@pytest.mark.django_db
class ProtectedEndpointTests:
    """One test per endpoint: over its limit it refuses."""

    def test_sign_in_failures_follow_the_login_limit(
        self, client: Client, settings: Any, personas: Personas
    ) -> None:
        limits(settings, login="2/15m")
        email = personas.customer.email
        for _ in range(2):
            client.post("/en/accounts/login/", {"username": email, "password": "wrong-wrong-1"})
        response = client.post("/en/accounts/login/", {"username": email, "password": PASSWORD})
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in (
            response.content.decode()
        )
        assert "_auth_user_id" not in client.session

    def test_sign_in_failures_from_one_address_follow_the_address_limit(
        self, client: Client, settings: Any, personas: Personas
    ) -> None:
        limits(settings, login_address="3/15m")
        for index in range(3):
            client.post(
                "/en/accounts/login/", {"username": f"n{index}@x.test", "password": "wrong-1"}
            )
        response = client.post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": PASSWORD}
        )
        assert "Too many failed sign-in attempts" in response.content.decode()

    def test_sign_up(self, client: Client, settings: Any) -> None:
        limits(settings, signup="2/h")
        for index in range(2):
            data = {"name": "N", "email": f"n{index}@x.test", "password1": "a", "password2": "b"}
            assert client.post("/en/accounts/signup/", data).status_code == 200
        response = client.post("/en/accounts/signup/", {"email": "n9@x.test"})
        assert response.status_code == 429
        assert client.get("/en/accounts/signup/").status_code == 200  # showing it is free

    def test_sign_up_counts_per_email_address_too(self, client: Client, settings: Any) -> None:
        limits(settings, signup="2/h")
        for index in range(2):
            client.post(
                "/en/accounts/signup/", {"email": "x@x.test"}, REMOTE_ADDR=f"10.0.0.{index}"
            )
        response = client.post(
            "/en/accounts/signup/", {"email": "X@x.test"}, REMOTE_ADDR="10.9.9.9"
        )
        assert response.status_code == 429

    def test_new_confirmation_links(self, client: Client, settings: Any) -> None:
        limits(settings, signup="1/h")
        client.post("/en/accounts/verify/resend/", {"email": "a@x.test"})
        assert client.post("/en/accounts/verify/resend/", {"email": "b@x.test"}).status_code == 429

    def test_password_reset(self, client: Client, settings: Any) -> None:
        limits(settings, password_reset="2/h")
        for _ in range(2):
            response = client.post("/en/accounts/password/reset/", {"email": "a@x.test"})
            assert response.status_code == 302
        response = client.post("/en/accounts/password/reset/", {"email": "b@x.test"})
        assert response.status_code == 429
        assert "Retry-After" in response

    def test_two_factor_codes(self, client: Client, settings: Any) -> None:
        limits(settings, twofactor="2/15m")
        for _ in range(2):
            assert client.post("/en/accounts/twofactor/verify/", {"code": "1"}).status_code != 429
        response = client.post("/en/accounts/twofactor/verify/", {"code": "123456"})
        assert response.status_code == 429

    def test_re_authentication(self, client: Client, settings: Any, personas: Personas) -> None:
        limits(settings, reauth="2/15m")
        client.force_login(personas.customer)
        for _ in range(2):
            client.post("/en/accounts/reauth/", {"password": "wrong-wrong-1"})
        response = client.post("/en/accounts/reauth/", {"password": PASSWORD})
        assert response.status_code == 429

    def test_the_request_form_for_visitors(self, client: Client, settings: Any) -> None:
        limits(settings, request="2/h")
        for index in range(2):
            client.post("/en/requests/new", {"email": f"v{index}@x.test"})
        response = client.post("/en/requests/new", {"email": "v9@x.test", "subject": "S"})
        assert response.status_code == 429
        assert Ticket.objects.count() == 0
        assert client.get("/en/requests/new").status_code == 200

    def test_the_request_form_for_signed_in_customers(
        self, client: Client, settings: Any, personas: Personas
    ) -> None:
        limits(settings, request="1/h")
        client.force_login(personas.customer)
        client.post("/en/requests/new", {"subject": ""})
        assert client.post("/en/requests/new", {"subject": ""}).status_code == 429

    def test_the_visitor_mail_limit_is_configurable(self, client: Client, settings: Any) -> None:
        from supportal.tickets.tests.test_customer_submit import post_request

        limits(settings, mail_action="1/h")
        post_request(client, email="v1@x.test", name="V", key="1" * 32)
        response = post_request(client, email="v2@x.test", name="V", key="2" * 32)
        assert response.status_code == 400  # a form message, the input kept
        assert "Too many requests from your network. Please try again in 60 minutes." in (
            response.content.decode()
        )

    def test_help_center_suggestions(self, client: Client, settings: Any) -> None:
        limits(settings, suggest="1/m")
        assert client.get("/en/help/search/suggest/", {"q": "a"}).status_code == 200
        assert client.get("/en/help/search/suggest/", {"q": "ab"}).status_code == 429

    def test_request_form_suggestions(self, client: Client, settings: Any) -> None:
        limits(settings, suggest="1/m")
        assert client.get("/en/requests/new/suggest", {"subject": "a"}).status_code == 200
        assert client.get("/en/requests/new/suggest", {"subject": "ab"}).status_code == 429

    def test_inbound_mail_is_refused_for_a_while_and_taken_on_retry(
        self, client: Client, settings: Any, personas: Personas, tmp_path: Path
    ) -> None:
        settings.MEDIA_ROOT = str(tmp_path)
        limits(settings, inbound="1/m")
        mailbox = http_mailbox()
        with time_machine.travel(START, tick=False) as traveller:
            assert post_raw(client, inbound_url(mailbox), raw_message()).status_code == 202
            second = raw_message(message_id="<m2@acme.test>", subject="Second")
            response = post_raw(client, inbound_url(mailbox), second)
            assert response.status_code == 429
            assert response.json() == {"error": "too many requests"}
            assert response["Retry-After"] == "60"
            assert InboundEmail.objects.count() == 1  # nothing half-stored
            traveller.shift(60)
            # The mail service tries again later: the message arrives whole.
            assert post_raw(client, inbound_url(mailbox), second).status_code == 202
        assert InboundEmail.objects.count() == 2
