"""The telephony webhook, POST /api/phone/events: the secret, each event, retries, and hostile
input (which gets a 4xx JSON answer and stores nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from supportal.accounts.models import Role, User
from supportal.core.models import OutboundEmail
from supportal.core.tests.test_settings import load_settings
from supportal.phone.models import Call, Outcome
from supportal.phone.services import CALLBACK_TAG
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Channel, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = "/api/phone/events"
SECRET = "s3cret-for-the-telephony-test"


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.PHONE_WEBHOOK_SECRET = SECRET


def post(client: Client, body: Any, secret: str | None = SECRET, **extra: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    if secret is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client.post(URL, data=data, content_type="application/json", **extra)


def event(kind: str = "ended", **fields: Any) -> dict[str, Any]:
    body = {
        "event": kind,
        "call_id": "CA-1001",
        "direction": "inbound",
        "from": "+82 10-1234-5678",
        "to": "+82 2-555-0100",
        "started_at": "2025-03-04T09:15:00+09:00",
        "duration": 205,
    }
    body.update(fields)
    return body


def stored() -> tuple[int, int, int, int]:
    return (
        Call.objects.count(),
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        User.objects.count(),
    )


@pytest.fixture
def known(personas: Personas) -> User:
    personas.customer.phone = "+821012345678"
    personas.customer.save(update_fields=["phone"])
    return personas.customer


class SecretTests:
    def test_it_takes_the_right_secret(self, client: Client, known: User) -> None:
        response = post(client, event())
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        answer = response.json()
        assert answer["status"] == "created"
        assert Call.objects.get(pk=answer["call"]).ticket_id == answer["request"]

    @pytest.mark.parametrize(
        "header",
        [None, "Bearer wrong-secret-of-some-length", "Basic czNjcmV0", f"Token {SECRET}", ""],
    )
    def test_it_refuses_a_missing_or_wrong_secret(
        self, client: Client, known: User, header: str | None
    ) -> None:
        before = stored()
        extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
        response = post(client, event(), secret=None, **extra)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "secret" in response.json()["error"]
        assert stored() == before

    def test_it_is_off_without_a_secret(self, client: Client, known: User, settings: Any) -> None:
        settings.PHONE_WEBHOOK_SECRET = ""
        before = stored()
        for secret in (SECRET, "", None):
            response = post(client, event(), secret=secret)
            assert response.status_code == 404
            assert "PHONE_WEBHOOK_SECRET" in response.json()["error"]
        assert stored() == before

    def test_it_needs_no_csrf_token(self, known: User) -> None:
        client = Client(enforce_csrf_checks=True)
        assert post(client, event()).status_code == 200

    def test_it_answers_other_methods_with_405_json(self, client: Client) -> None:
        response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {SECRET}")
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.json() == {"error": "use POST"}


class SecretSettingTests:
    def test_a_short_secret_stops_start_up_with_a_clear_message(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, PHONE_WEBHOOK_SECRET="short")
        assert result.returncode == 2
        assert "PHONE_WEBHOOK_SECRET must be at least 16 characters long" in result.stderr


class EventTests:
    def test_a_missed_call_makes_a_call_back_request(self, client: Client, known: User) -> None:
        response = post(client, event("missed", duration=0))
        assert response.status_code == 200
        ticket = Ticket.objects.get(pk=response.json()["request"])
        assert ticket.requester == known
        assert ticket.channel == Channel.PHONE
        assert ticket.subject == "Missed call from +821012345678"
        assert list(ticket.tags.values_list("name", flat=True)) == [CALLBACK_TAG]
        call = ticket.calls.get()
        assert (call.outcome, call.direction, call.external_id) == ("missed", "inbound", "CA-1001")
        assert call.started_at.isoformat() == "2025-03-04T00:15:00+00:00"
        first = ticket.messages.get()
        assert first.public and "Missed call from +821012345678 on " in first.body
        kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert {"created", "changed", "call_logged"} <= kinds

    def test_retries_do_not_duplicate(self, client: Client, known: User) -> None:
        first = post(client, event("missed", duration=0)).json()
        before = stored()
        for _attempt in range(3):
            again = post(client, event("missed", duration=0))
            assert again.status_code == 200
            assert again.json() == {**first, "status": "unchanged"}
        assert stored() == before

    def test_a_retry_racing_the_first_event_answers_unchanged(
        self, client: Client, known: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from supportal.phone import services

        first = post(client, event("missed", duration=0)).json()
        before = stored()
        # As if the first event's transaction had not committed when the retry looked.
        monkeypatch.setattr(services, "_logged_call", lambda call_id: None)
        again = post(client, event("missed", duration=0))
        assert again.status_code == 200
        assert again.json() == {**first, "status": "unchanged"}
        assert stored() == before

    def test_an_ended_call_joins_the_customers_open_phone_request(
        self, client: Client, known: User
    ) -> None:
        missed = post(client, event("missed", call_id="CA-1", duration=0)).json()
        ended = post(client, event("ended", call_id="CA-2", duration=61)).json()
        assert ended["status"] == "created" and ended["request"] == missed["request"]
        assert Call.objects.get(pk=ended["call"]).outcome == Outcome.ANSWERED

    def test_an_ended_call_without_an_open_phone_request_makes_one(
        self, client: Client, known: User
    ) -> None:
        emailed = make_ticket(known, "An emailed request")  # not a phone request: not joined
        body = event("ended", direction="outbound", **{"from": "", "to": "+82 10 1234 5678"})
        ticket = Ticket.objects.get(pk=post(client, body).json()["request"])
        assert ticket != emailed and ticket.requester == known
        assert ticket.channel == Channel.PHONE and ticket.subject == "Call to +821012345678"

    def test_a_recording_is_added_to_its_call(self, client: Client, known: User) -> None:
        first = post(client, event()).json()
        url = "https://recordings.example.net/CA-1001.mp3"
        body = {"event": "recording", "call_id": "CA-1001", "recording_url": url}
        answer = post(client, body).json()
        assert answer == {**first, "status": "updated"}
        assert Call.objects.get().recording_url == url
        update = TicketEvent.objects.get(kind=TicketEvent.Kind.CALL_UPDATED)
        assert (update.field, update.new_value) == ("call:recording", url)
        assert post(client, body).json()["status"] == "unchanged"

    def test_a_recording_for_an_unknown_call_is_refused(self, client: Client) -> None:
        body = {"event": "recording", "call_id": "nope", "recording_url": "https://r.example/1"}
        response = post(client, body)
        assert response.status_code == 404
        assert "call_id" in response.json()["error"]

    def test_started_is_acknowledged_and_not_stored(self, client: Client, known: User) -> None:
        before = stored()
        response = post(client, event("started"))
        assert response.json() == {"status": "ignored", "call": None, "request": None}
        assert stored() == before

    def test_an_unknown_number_gets_a_customer_who_is_never_mailed(
        self, client: Client, personas: Personas
    ) -> None:
        sent = OutboundEmail.objects.count()
        answer = post(client, event("missed", **{"from": "+44 20 7946 0001"})).json()
        ticket = Ticket.objects.get(pk=answer["request"])
        caller = ticket.requester
        assert caller.phone == "+442079460001"
        assert caller.email == "caller-442079460001@phone.invalid"
        assert caller.role == Role.CUSTOMER and not caller.has_usable_password()
        assert OutboundEmail.objects.count() == sent
        # The next call from the number finds the same person.
        again = post(client, event("missed", call_id="CA-2", **{"from": "0044 20 7946 0001"}))
        assert Ticket.objects.get(pk=again.json()["request"]).requester == caller

    def test_the_agent_page_shows_the_caller_has_no_email(
        self, client: Client, personas: Personas
    ) -> None:
        answer = post(client, event("missed", **{"from": "+44 20 7946 0001"})).json()
        client.force_login(personas.admin)
        page = client.get(f"/en/agent/requests/{answer['request']}/").content.decode()
        assert "No email address" in page and "mailto:caller-" not in page
        assert 'href="tel:+442079460001"' in page


class RegionTests:
    """PHONE_REGION: a telephony system's E.164 caller id finds a customer who wrote their
    number without a country code, and a national caller id one stored in E.164."""

    def test_an_e164_caller_finds_a_customer_saved_in_national_digits(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        customer = personas.customer
        customer.phone = "01012345678"  # saved before PHONE_REGION was set
        customer.save(update_fields=["phone"])
        settings.PHONE_REGION = "KR"
        people = User.objects.count()
        answer = post(client, event("missed", **{"from": "+82 10-1234-5678"})).json()
        ticket = Ticket.objects.get(pk=answer["request"])
        assert ticket.requester == customer
        assert User.objects.count() == people
        assert Call.objects.get().number == "+821012345678"
        # The next call joins the same request.
        again = post(client, event("ended", call_id="CA-2", **{"from": "+821012345678"}))
        assert again.json()["request"] == ticket.pk

    def test_a_national_caller_id_finds_a_customer_saved_in_e164(
        self, client: Client, known: User, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        people = User.objects.count()
        answer = post(client, event("ended", **{"from": "010-1234-5678"})).json()
        ticket = Ticket.objects.get(pk=answer["request"])
        assert ticket.requester == known
        assert ticket.subject == "Call from +821012345678"
        assert User.objects.count() == people

    def test_without_a_region_a_national_number_is_another_caller(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        personas.customer.phone = "01012345678"
        personas.customer.save(update_fields=["phone"])
        settings.PHONE_REGION = ""
        answer = post(client, event("missed", **{"from": "+82 10-1234-5678"})).json()
        caller = Ticket.objects.get(pk=answer["request"]).requester
        assert caller != personas.customer
        assert caller.email == "caller-821012345678@phone.invalid"

    def test_it_refuses_a_number_impossible_in_the_region(
        self, client: Client, known: User, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        before = stored()
        response = post(client, event("missed", **{"from": "123-4567"}))  # no area code
        assert response.status_code == 422, response.content
        assert "from must be the customer's phone number" in response.content.decode()
        assert stored() == before


class HostileInputTests:
    @pytest.mark.parametrize(
        "body",
        [
            "{not json",
            b"\xff\xfe\x00garbage",
            "[" * 5000 + "]" * 5000,
        ],
    )
    def test_it_refuses_what_is_not_json(self, client: Client, known: User, body: Any) -> None:
        before = stored()
        response = post(client, body)
        assert response.status_code == 400
        assert response.json()["error"]
        assert stored() == before

    @pytest.mark.parametrize(
        "body",
        [
            "",
            "[]",
            '"ended"',
            "null",
            {"event": "ended"},
            {**event(), "event": "exploded"},
            {**event(), "call_id": ""},
            {**event(), "call_id": 42},
            {**event(), "call_id": "x" * 101},
            {**event(), "call_id": "bad\u0000id"},
            {**event(), "direction": "sideways"},
            {**event(), "direction": None},
            {**event(), "from": "call me"},
            {**event(), "from": ["+821012345678"]},
            {**event(), "from": "+82\u00001012345678"},
            {**event(), "duration": "long"},
            {**event(), "duration": -5},
            {**event(), "duration": 10**30},
            {**event(), "duration": 1.5},
            {**event(), "started_at": "yesterday"},
            {**event(), "started_at": "2025-03-04T09:15:00"},  # no time zone
            {**event(), "recording_url": "javascript:alert(document.cookie)"},
            {**event(), "recording_url": "https://" + "a" * 600 + ".example"},
            {"event": "recording", "call_id": "CA-1001"},
            {"event": "recording", "call_id": "CA-1001", "recording_url": "javascript:alert(1)"},
            {"event": "recording", "call_id": "CA-1001", "recording_url": "data:audio/mp3,xx"},
        ],
    )
    def test_it_refuses_wrong_fields_and_types(
        self, client: Client, known: User, body: Any
    ) -> None:
        post(client, event(call_id="CA-1001"))  # a call a recording could be added to
        before = stored()
        recording = Call.objects.get().recording_url
        response = post(client, body)
        assert response.status_code == 422, response.content
        answer = response.json()
        assert answer["error"]
        assert stored() == before
        assert Call.objects.get().recording_url == recording == ""

    def test_it_lists_what_is_wrong(self, client: Client, known: User) -> None:
        response = post(client, {**event(), "duration": "long", "direction": "sideways"})
        fields = {item["field"] for item in response.json()["details"]}
        assert {"duration", "direction"} <= fields

    def test_it_refuses_an_oversize_body_before_reading_it(
        self, client: Client, known: User
    ) -> None:
        before = stored()
        body = json.dumps({**event(), "padding": "x" * 70_000})
        response = post(client, body)
        assert response.status_code == 413
        assert "too large" in response.json()["error"]
        assert stored() == before

    def test_it_answers_503_when_the_database_fails(
        self, client: Client, known: User, monkeypatch: pytest.MonkeyPatch, caplog: Any
    ) -> None:
        from supportal.phone import services

        def broken(**kwargs: Any) -> None:
            raise OperationalError("the database is down")

        monkeypatch.setattr(services, "call_event_receive", broken)
        with caplog.at_level("ERROR", logger="supportal.phone.api"):
            response = post(client, event())
        assert response.status_code == 503
        assert response["Retry-After"] == "60"
        assert response.json()["error"].startswith("unavailable")
        assert "phone event not stored" in caplog.text

    def test_it_limits_the_rate_per_address(
        self, client: Client, known: User, settings: Any
    ) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "phone": "2/m"}
        from supportal.core import ratelimit

        ratelimit._parse.cache_clear()
        statuses = [post(client, event("started")).status_code for _n in range(3)]
        assert statuses == [200, 200, 429]
        # Wrong secrets count too: guessing the secret is slowed down.
        response = post(client, event("started"), secret="wrong-secret-of-some-length")
        assert response.status_code == 429
        assert response.json() == {"error": "too many requests"}
        assert int(response["Retry-After"]) > 0
