from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.mail import send_mail
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone
from huey.contrib.djhuey import db_task
from prometheus_client.parser import text_string_to_metric_families

from supportal.core.logging import QueryCounter
from supportal.core.middleware import RequestLogMiddleware
from supportal.mail.models import Mailbox
from supportal.monitoring import metrics
from supportal.test import Personas

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "scrape-token-0123456789"


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@db_task()
def explode() -> None:
    raise ValueError("this task always fails")


@pytest.mark.django_db
class MetricsAccessTests:
    def test_it_answers_loopback_and_the_token_and_nobody_else(
        self, settings: object, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings.METRICS_TOKEN = TOKEN  # type: ignore[attr-defined]
        client = Client(enforce_csrf_checks=True)
        assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
        outside = {"REMOTE_ADDR": "203.0.113.7"}
        with caplog.at_level("INFO"):
            refused = [
                client.get("/metrics", **outside),
                client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token", **outside),
                client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}", **outside),
                client.get("/metrics", HTTP_AUTHORIZATION="Bearer", **outside),
                client.get("/metrics", HTTP_AUTHORIZATION="Bearer ünïcode☃", **outside),
                client.post("/metrics", **outside),
                # A proxy on loopback relays someone else: not an allowed address.
                client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7"),
                client.get("/metrics", HTTP_FORWARDED="for=203.0.113.7"),
            ]
        unknown = client.get("/metricz", **outside).content.replace(b"metricz", b"metrics")
        assert client.post("/metricz", **outside).status_code == 404
        for response in refused:
            assert response.status_code == 404
            # The site's ordinary not-found page: nothing says the address exists.
            assert response.content == unknown
        # Refusals are quiet: only the request log's one INFO line each.
        assert [r for r in caplog.records if r.levelname != "INFO"] == []
        assert {r.name for r in caplog.records} == {"supportal.request"}
        accepted = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **outside)
        assert accepted.status_code == 200
        assert b"supportal_http_requests_total" in accepted.content

    def test_it_answers_configured_networks_only(self, client: Client, settings: object) -> None:
        settings.METRICS_ALLOWED_IPS = ["10.1.0.0/16", "2001:db8::/32"]  # type: ignore[attr-defined]
        settings.METRICS_TOKEN = ""  # type: ignore[attr-defined]
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 404
        assert client.get("/metrics").status_code == 404  # loopback is no longer listed
        # No token configured: an empty bearer token must not match it.
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
class MetricsContentTests:
    def test_it_counts_requests_by_route_and_status_with_their_queries(
        self, client: Client, personas: Personas
    ) -> None:
        before = scrape(client)
        client.force_login(personas.admin)
        queries = QueryCounter()  # counted on its own, beside the middleware's
        with connection.execute_wrapper(queries):
            assert client.get("/en/manage/outbox/").status_code == 200
        assert client.get("/en/no-such-page/").status_code == 404
        after = scrape(client)
        route = {"route": "core:outbox"}
        ok = {**route, "method": "GET", "status": "200"}
        assert value(after, "supportal_http_requests_total", **ok) == (
            value(before, "supportal_http_requests_total", **ok) + 1
        )
        unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
        assert value(after, "supportal_http_requests_total", **unmatched) == (
            value(before, "supportal_http_requests_total", **unmatched) + 1
        )
        # Every query of the request is counted, for the route and in the histogram.
        assert value(after, "supportal_http_db_queries_total", **route) == (
            value(before, "supportal_http_db_queries_total", **route) + queries.count
        )
        assert queries.count >= 3
        assert value(after, "supportal_http_db_seconds_total", **route) > 0
        histogram = "supportal_http_request_db_queries_count"
        assert value(after, histogram) >= value(before, histogram) + 2
        latency = "supportal_http_request_duration_seconds_count"
        assert value(after, latency, **route) == value(before, latency, **route) + 1
        # The path is never a label: the number of series does not grow with URLs.
        assert not any("no-such-page" in str(key) for key in after)

    def test_it_counts_page_cache_hits_and_misses_from_the_header(self, client: Client) -> None:
        """The page cache answers inside the request log middleware and says so in a header."""

        def cached_page(request: HttpRequest) -> HttpResponse:
            response = HttpResponse("cached page")
            response["X-Page-Cache"] = request.GET["result"]
            return response

        middleware = RequestLogMiddleware(cached_page)
        before = scrape(client)
        for result in ("hit", "hit", "miss", "bogus"):
            middleware(RequestFactory().get("/en/help/", {"result": result}))
        after = scrape(client)
        for result, more in (("hit", 2), ("miss", 1), ("bogus", 0)):
            name = "supportal_page_cache_requests_total"
            assert value(after, name, result=result) == value(before, name, result=result) + more
        ok = {"route": "page_cache", "method": "GET", "status": "200"}
        name = "supportal_http_requests_total"
        assert value(after, name, **ok) == value(before, name, **ok) + 4

    def test_it_shows_the_outbox_backlog_and_the_queue(
        self, client: Client, settings: object
    ) -> None:
        settings.EMAIL_HOST = "smtp.example.com"  # type: ignore[attr-defined]
        before = scrape(client)
        # In a test the transaction never commits, so no delivery task runs: the row waits.
        send_mail("Hello", "Body", None, ["someone@example.com"])
        after = scrape(client)
        pending = {"status": "pending"}
        assert value(after, "supportal_outbox_messages", **pending) == (
            value(before, "supportal_outbox_messages", **pending) + 1
        )
        assert 0 <= value(after, "supportal_outbox_oldest_pending_seconds") < 60
        assert ("supportal_task_queue_pending", ()) in after
        assert value(after, "supportal_scrape_collector_failed", collector="outbox") == 0

    def test_it_counts_a_failing_task(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        label = {"task": "monitoring.tests.test_metrics.explode"}
        before = value(scrape(client), "supportal_task_failures_total", **label)
        with caplog.at_level("ERROR", logger="huey"):
            explode()  # huey's immediate mode runs it here, signals included
        assert "Unhandled exception in task" in caplog.text
        after = value(scrape(client), "supportal_task_failures_total", **label)
        assert after == before + 1

    def test_it_shows_each_mailbox_lag_through_the_channel_hook(self, client: Client) -> None:
        Mailbox.objects.create(
            address="help@example.com",
            imap_host="imap.example.com",
            last_success_at=timezone.now() - timedelta(minutes=5),
            failures=2,
        )
        Mailbox.objects.create(address="pipe@example.com", delivery=Mailbox.Delivery.PIPE)
        samples = scrape(client)
        lag = value(samples, "supportal_mailbox_poll_lag_seconds", mailbox="help@example.com")
        assert 300 <= lag < 330
        assert value(samples, "supportal_mailbox_poll_failures", mailbox="help@example.com") == 2
        # Piped mail is not polled: no lag to speak of.
        assert not any("pipe@example.com" in str(key) for key in samples)

    def test_a_failing_collector_leaves_the_rest_of_the_scrape(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        def broken() -> list:
            raise RuntimeError("chat server away")

        metrics.register_collector("chat", broken)
        try:
            with caplog.at_level("WARNING", logger="supportal.monitoring.metrics"):
                samples = scrape(client)
        finally:
            metrics._scrape_collectors.pop("chat")
        assert value(samples, "supportal_scrape_collector_failed", collector="chat") == 1
        assert ("supportal_outbox_oldest_pending_seconds", ()) in samples


WRITER = """
import sys
from supportal.monitoring import metrics
for _ in range(int(sys.argv[1])):
    metrics.observe_request(route="core:home", method="GET", status=200, seconds=0.02,
                            queries=3, db_seconds=0.001)
metrics.task_finished("core.deliver_email", failed=True)
"""


@pytest.mark.django_db
class MultiprocessTests:
    def test_the_scrape_adds_up_every_process(
        self, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
        writers = [
            subprocess.Popen([sys.executable, "-c", WRITER, str(count)], env=env, cwd=ROOT)
            for count in (2, 3)
        ]
        assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
        assert len(list(tmp_path.glob("*.db"))) >= 2  # one file per process and kind
        monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
        samples = scrape(client)
        home = {"route": "core:home", "method": "GET", "status": "200"}
        assert value(samples, "supportal_http_requests_total", **home) == 5
        assert value(samples, "supportal_http_db_queries_total", route="core:home") == 15
        assert value(samples, "supportal_http_request_db_queries_count") == 5
        failures = {"task": "core.deliver_email"}
        assert value(samples, "supportal_task_failures_total", **failures) == 2
        # The scrape-time gauges are still read once, by the scraping process.
        assert ("supportal_outbox_oldest_pending_seconds", ()) in samples
        metrics.reset_multiproc_dir(tmp_path)
        assert list(tmp_path.glob("*.db")) == []
