"""POST /rum/: what a browser's beacon stores, and what is refused without noise."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from supportal.rum.models import BrowserError, TimingBucket
from supportal.test import Personas

URL = "/rum/"
GOOD = {
    "page": "helpcenter:home",
    "metrics": {"ttfb": 120.5, "dcl": 340, "load": 610, "lcp": 900, "inp": 64, "cls": 0.02},
    "errors": [
        {
            "message": "TypeError: x of casey@acme.test from https://x.test/a?token=s3cret",
            "source": "https://help.example.com/static/js/app.js?v=3#top",
            "line": 12,
            "column": 7,
        }
    ],
}


def post(client: Client, body: Any, content_type: str = "text/plain;charset=UTF-8", **extra: Any):  # type: ignore[no-untyped-def]
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic("POST", URL, data, content_type=content_type, **extra)


@pytest.mark.django_db
class BeaconTests:
    def test_it_stores_a_beacon_as_sendbeacon_sends_it(self, client: Client) -> None:
        response = post(client, GOOD)
        assert response.status_code == 204
        stored = dict(TimingBucket.objects.values_list("metric", "count"))
        assert stored == {"ttfb": 1, "dcl": 1, "load": 1, "lcp": 1, "inp": 1, "cls": 1}
        assert set(TimingBucket.objects.values_list("page_type", flat=True)) == {"helpcenter:home"}
        error = BrowserError.objects.get()
        assert error.message == "TypeError: x of [email] from https://x.test/a"
        assert error.source == "https://help.example.com/static/js/app.js"
        assert (error.line, error.column, error.count) == (12, 7, 1)
        assert [p.page_type for p in error.pages.all()] == ["helpcenter:home"]

    def test_it_adds_up_counts_and_groups_errors(self, client: Client) -> None:
        other = {**GOOD, "page": "accounts:login"}
        for body in (GOOD, GOOD, other):
            assert post(client, body, content_type="application/json").status_code == 204
        lcp = TimingBucket.objects.filter(metric="lcp")
        assert sorted(lcp.values_list("page_type", "count")) == [
            ("accounts:login", 1),
            ("helpcenter:home", 2),
        ]
        error = BrowserError.objects.get()
        assert error.count == 3
        assert sorted(p.page_type for p in error.pages.all()) == [
            "accounts:login",
            "helpcenter:home",
        ]

    def test_it_never_touches_the_session_of_a_signed_in_visitor(
        self, client: Client, personas: Personas
    ) -> None:
        """Every persona's beacon is stored the same way, without reading their session or user,
        and no cookie is set in answer."""
        for user in (personas.customer, personas.agent, personas.admin, None):
            if user is not None:
                client.force_login(user)
            with CaptureQueriesContext(connection) as queries:
                response = post(client, GOOD)
            assert response.status_code == 204
            assert not response.cookies
            sql = " ".join(query["sql"] for query in queries.captured_queries)
            assert "session" not in sql and "accounts_user" not in sql
        assert TimingBucket.objects.get(metric="lcp").count == 4

    @pytest.mark.parametrize(
        ("body", "content_type", "status"),
        [
            ("not json", "text/plain", 400),
            (b"\xff\xfe", "text/plain", 400),
            ("[" * 5000, "text/plain", 400),
            ('{"page": "helpcenter:home", "metrics": {"lcp": NaN}}', "text/plain", 400),
            (
                '{"page": "helpcenter:home", "metrics": {"lcp": ' + "9" * 5000 + "}}",
                "text/plain",
                400,
            ),
            ({"page": "nope:nothing", "metrics": {"lcp": 1}}, "text/plain", 400),
            ({"page": ["helpcenter:home"], "metrics": {"lcp": 1}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {"lcp": -1}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {"lcp": 10**9}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {"cls": 51}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {"lcp": True}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {"lcp": "9"}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {"fid": 9}}, "text/plain", 400),
            ({"page": "helpcenter:home", "metrics": {}}, "text/plain", 400),
            ({"page": "helpcenter:home", "user": "casey"}, "text/plain", 400),
            ({"page": "helpcenter:home", "errors": [{"message": "x"}] * 6}, "text/plain", 400),
            ({"page": "helpcenter:home", "errors": [{"message": ""}]}, "text/plain", 400),
            ({"page": "helpcenter:home", "errors": [{"message": 3}]}, "text/plain", 400),
            ({"page": "helpcenter:home", "errors": "boom"}, "text/plain", 400),
            (
                {"page": "helpcenter:home", "metrics": {"lcp": 1}, "x": "y" * 9000},
                "text/plain",
                413,
            ),
            ({"page": "helpcenter:home", "metrics": {"lcp": 1}}, "multipart/form-data", 415),
        ],
    )
    def test_it_refuses_what_our_script_does_not_send(
        self, client: Client, body: Any, content_type: str, status: int
    ) -> None:
        assert post(client, body, content_type=content_type).status_code == status
        assert not TimingBucket.objects.exists()
        assert not BrowserError.objects.exists()

    def test_a_hundred_malformed_beacons_log_nothing_worth_a_look(
        self, client: Client, caplog: pytest.LogCaptureFixture, settings: Any
    ) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "rum": "1000/m"}
        caplog.set_level(logging.INFO)
        statuses = {
            post(client, {"page": "helpcenter:home", "metrics": {"lcp": -n}}).status_code
            for n in range(1, 101)
        }
        assert statuses == {400}
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

    def test_it_limits_each_address(self, client: Client, settings: Any) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "rum": "2/m"}
        statuses = [post(client, GOOD).status_code for _ in range(3)]
        assert statuses == [204, 204, 429]
        assert post(client, GOOD, REMOTE_ADDR="198.51.100.7").status_code == 204
        assert TimingBucket.objects.get(metric="lcp").count == 3

    def test_it_only_takes_posts(self, client: Client) -> None:
        assert client.get(URL).status_code == 405
