from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import Client


@pytest.mark.django_db
class HealthTests:
    def test_it_answers_healthz_without_a_language_prefix(self, client: Client) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"

    def test_healthz_is_answered_before_sessions_logs_and_queries(
        self, client: Client, django_assert_num_queries: Callable, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="supportal.request"):
            with django_assert_num_queries(0):
                response = client.get("/healthz")
            assert client.head("/healthz").status_code == 200
        assert "Set-Cookie" not in response and "X-Request-ID" not in response
        assert not [record for record in caplog.records if "/healthz" in record.getMessage()]
        with caplog.at_level(logging.INFO, logger="supportal.request"):
            client.get("/readyz")
        assert [record for record in caplog.records if "/readyz" in record.getMessage()]

    def test_it_is_ready_when_database_cache_and_queue_answer(self, client: Client) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checked"] == ["database", "cache", "queue"]

    def test_it_names_what_failed_with_503(self, client: Client, settings: object) -> None:
        # A Redis cache on a loopback port where nothing listens: a real connection failure.
        settings.CACHES = {  # type: ignore[attr-defined]
            **settings.CACHES,  # type: ignore[attr-defined]
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"socket_connect_timeout": 0.5},
            },
        }
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert "cache:default" in body["failed"]
        assert "database" not in body["failed"]

    def test_it_refuses_posts_to_health_checks(self, client: Client) -> None:
        assert client.post("/healthz").status_code == 405
