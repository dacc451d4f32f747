"""Server errors to a Sentry-protocol server: a small receiver on loopback, started here, gets
the events the real SDK sends, and they carry what they should and nothing personal."""

from __future__ import annotations

import gzip
import io
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli
import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from huey.contrib.djhuey import db_task
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.access import public
from supportal.core import errors
from supportal.test import Personas

ENVIRONMENT = "staging-test"
RELEASE = "supportal@9.9.9-test"


# --- A Sentry-protocol receiver ------------------------------------------------------------------


def parse_envelope(data: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """The items of an envelope: a header line, then per item a header line and its payload
    (`length` bytes, or up to the end of the line)."""
    stream = io.BytesIO(data)
    stream.readline()  # the envelope's own header: event id, DSN, sent_at
    items = []
    while line := stream.readline():
        if not line.strip():
            continue
        header = json.loads(line)
        if header.get("length") is not None:
            payload = stream.read(header["length"])
            stream.readline()
        else:
            payload = stream.readline().rstrip(b"\n")
        items.append((header, payload))
    return items


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    body = brotli.decompress(body)
                if not re.fullmatch(r"/api/\d+/envelope/", self.path):
                    self.send_response(404)
                    self.end_headers()
                    return
                for header, payload in parse_envelope(body):
                    if header.get("type") == "event":
                        receiver.raw.append(payload.decode())
                        receiver.events.append(json.loads(payload))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test output stays clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def received(self) -> list[dict[str, Any]]:
        sentry_sdk.flush(timeout=10)
        return self.events


def stop_reporting() -> None:
    """Other tests must not report: close the client and leave none behind."""
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def sentry(receiver: Receiver) -> Iterator[Receiver]:
    errors.sentry_init(
        dsn=receiver.dsn, environment=ENVIRONMENT, release=RELEASE, traces_sample_rate=0
    )
    try:
        # The test client has no WSGI middleware to give each request a scope of its own.
        with sentry_sdk.isolation_scope():
            yield receiver
    finally:
        stop_reporting()


# --- Something that fails --------------------------------------------------------------------


@public
@csrf_exempt
def failing_view(request: HttpRequest, token: str) -> HttpResponse:
    raise RuntimeError(f"cannot load the page of {request.user.email}")  # type: ignore[union-attr]


urlpatterns = [path("broken/<str:token>/", failing_view)]


@db_task()
def failing_task(address: str) -> None:
    raise ValueError(f"mail server refused {address}")


# --- Tests -------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
class ErrorReportingTests:
    def test_a_view_error_arrives_with_its_context_and_nothing_personal(
        self, sentry: Receiver, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        """Through a real server, so that the request passes the SDK's WSGI layer as in
        production."""
        client = Client()
        client.force_login(personas.customer)
        session_key = client.cookies["sessionid"].value
        request = urllib.request.Request(  # noqa: S310 (http to the live server)
            f"{live_server.url}/broken/reset-token-1f9a/?q=private+words",
            data=b"password=hunter2-typed-secret",
            headers={
                "Cookie": f"sessionid={session_key}",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Request-ID": "rid-sentry-1",
                "User-Agent": "CaseyBrowser/1.0",
                "Referer": f"{live_server.url}/en/?email=casey@acme.test",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310
        assert answer.value.code == 500
        [event] = sentry.received()
        assert (event["environment"], event["release"]) == (ENVIRONMENT, RELEASE)
        assert event["tags"]["request_id"] == "rid-sentry-1"
        assert event["user"] == {"id": str(personas.customer.pk)}
        [exception] = event["exception"]["values"]
        assert exception["type"] == "RuntimeError"
        assert exception["value"] == "cannot load the page of [email]"
        assert event["request"]["method"] == "POST"
        assert event["request"]["url"] == f"{live_server.url}/broken/{{token}}/"
        text = sentry.raw[0]
        for personal in (
            personas.customer.email,
            personas.customer.name,
            session_key,
            "127.0.0.1",
            "203.0.113.9",
            "hunter2-typed-secret",
            "private",
            "reset-token-1f9a",
            "CaseyBrowser",
        ):
            assert personal not in text, personal

    @pytest.mark.django_db
    def test_a_failing_task_in_the_worker_arrives_too(self, sentry: Receiver) -> None:
        failing_task("casey@acme.test")
        [event] = sentry.received()
        assert (event["environment"], event["release"]) == (ENVIRONMENT, RELEASE)
        assert event["tags"]["huey_task_id"]
        [exception] = event["exception"]["values"]
        assert exception["type"] == "ValueError"
        assert exception["value"] == "mail server refused [email]"
        assert event["extra"]["huey-job"]["task"].endswith("failing_task")
        assert "casey@acme.test" not in sentry.raw[0]
        assert "user" not in event and "request_id" not in event.get("tags", {})

    def test_nothing_is_sent_once_reporting_stops(self, receiver: Receiver) -> None:
        errors.sentry_init(
            dsn=receiver.dsn, environment=ENVIRONMENT, release=RELEASE, traces_sample_rate=0
        )
        try:
            sentry_sdk.capture_message("before")
            assert [event["message"] for event in receiver.received()] == ["before"]
        finally:
            stop_reporting()
        sentry_sdk.capture_message("after")
        assert len(receiver.received()) == 1
        assert not sentry_sdk.get_client().is_active()


class SettingsTests:
    def test_a_bad_dsn_or_rate_stops_start_up(self) -> None:
        with pytest.raises(errors.ConfigError, match="SENTRY_DSN"):
            errors.check_dsn("not a dsn")
        with pytest.raises(errors.ConfigError, match="RUM_SAMPLE_RATE"):
            errors.sample_rate("RUM_SAMPLE_RATE", "1.5")
        assert errors.sample_rate("RUM_SAMPLE_RATE", "0.25") == 0.25
        assert errors.default_release().startswith("supportal@")
