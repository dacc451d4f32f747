"""Redis stops: pages still answer 200, uncached; signed-in people stay signed in.

A private redis-server on a free loopback port stands in for the site's Redis (never the
machine's shared one): caches, sessions, rate limits, the page cache and the content version
all point at it, then it is stopped.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from supportal.core import resilient_cache
from supportal.helpcenter.cache import forget_content_version
from supportal.helpcenter.tests.test_pages import url
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content
from supportal.lib.net import free_port
from supportal.test import PASSWORD, Personas

REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)
    caches = {
        "default": {
            "BACKEND": "supportal.core.resilient_cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "outage",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    forget_content_version()
    with override_settings(
        CACHES=caches,
        SHARED_CACHE="default",
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
    ):
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            # The outage is this process's state: the next test's Redis is up.
            resilient_cache._Outage.down_until = 0.0
            resilient_cache._Outage.reported = False
            forget_content_version()


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


class CacheOutageTests:
    def test_pages_answer_uncached_and_nobody_is_signed_out_when_redis_stops(
        self,
        redis_server: subprocess.Popen[bytes],
        content: Content,
        personas: Personas,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        visitor, customer = Client(), Client()
        customer.force_login(personas.customer)
        with translation.override("en"):
            mine = reverse("tickets:mine")
            search = reverse("helpcenter:search") + "?q=password"
        visitor.get(url("home"))
        assert visitor.get(url("home"))["X-Page-Cache"] == "hit"
        assert customer.get(mine).status_code == 200

        redis_server.terminate()
        redis_server.wait(timeout=10)
        forget_content_version()

        with caplog.at_level(logging.WARNING, logger="supportal.core.resilient_cache"):
            for page in (url("home"), url("article", content.public.pk), url("faq"), search):
                response = visitor.get(page)
                assert response.status_code == 200, page
                assert response.get("X-Page-Cache") != "hit", page
            signed_in = customer.get(mine)
            assert signed_in.status_code == 200
            assert "Casey Customer" in signed_in.content.decode()
            # Rate limits fail open: the sign-in form still signs people in.
            with translation.override("en"):
                login = Client().post(
                    reverse("accounts:login"),
                    {"username": personas.customer.email, "password": PASSWORD},
                )
            assert login.status_code == 302
        warnings = [r.getMessage() for r in caplog.records if r.name == resilient_cache.__name__]
        assert len(warnings) == 1
        assert warnings[0].startswith("cache unavailable, serving without it")

    def test_a_process_answers_the_copies_it_served_last_without_asking_redis(
        self,
        redis_server: subprocess.Popen[bytes],
        content: Content,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Each process keeps the copies it served (and the notice list) beside Redis for a few
        seconds (core/pagecache.copy_get): a hit is no round trip, so not even a stopped
        Redis is noticed while the content version this process read is still fresh."""
        Client().get(url("home"))
        assert Client().get(url("home"))["X-Page-Cache"] == "hit"
        redis_server.terminate()
        redis_server.wait(timeout=10)
        with caplog.at_level(logging.WARNING, logger="supportal.core.resilient_cache"):
            response = Client().get(url("home"))
        assert response["X-Page-Cache"] == "hit"
        assert not [r for r in caplog.records if r.name == resilient_cache.__name__]
