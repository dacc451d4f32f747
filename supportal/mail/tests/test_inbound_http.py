"""The HTTP inbound endpoint mail services post to: /mail/inbound/<secret>."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import Client
from django.test.client import encode_multipart

from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.settings_services import mailbox_save
from supportal.mail.views.inbound import form_fields
from supportal.test import Personas
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def raw_message(
    subject: str = "Printer on fire",
    sender: str = "casey@acme.test",
    message_id: str = "<m1@acme.test>",
    body: str = "It is smoking. 프린터가 고장났어요.",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Casey <{sender}>"
    message["To"] = "help@acme.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def http_mailbox(address: str = "help@acme.test", **fields: object) -> Mailbox:
    values: dict[str, object] = {
        "address": address,
        "name": "Acme Support",
        "group": None,
        "delivery": Mailbox.Delivery.HTTP,
        "active": True,
    }
    values.update(fields)
    return mailbox_save(mailbox=None, password=None, **values)


def url(mailbox: Mailbox) -> str:
    return f"/mail/inbound/{mailbox.inbound_token}"


def post_raw(client: Client, address: str, raw: bytes, content_type: str = "message/rfc822"):  # type: ignore[no-untyped-def]
    return client.post(address, data=raw, content_type=content_type)


class InboundRawBodyTests:
    def test_it_stores_and_processes_a_raw_message(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = http_mailbox(group=personas.support)
        response = post_raw(client, url(mailbox), raw_message())
        assert response.status_code == 202
        assert response["Content-Type"] == "application/json"
        answer = response.json()
        inbound = InboundEmail.objects.get(pk=answer["id"])
        assert answer["fate"] == inbound.fate == InboundEmail.Fate.CREATED
        assert (inbound.mailbox, inbound.source) == (mailbox, InboundEmail.Source.HTTP)
        with inbound.raw.open("rb") as handle:
            assert handle.read() == raw_message()
        ticket = Ticket.objects.get(pk=inbound.ticket_id)
        assert ticket.subject == "Printer on fire" and ticket.group == personas.support

    @pytest.mark.parametrize("content_type", ["application/octet-stream", "text/plain"])
    def test_it_takes_other_raw_content_types(
        self, client: Client, personas: Personas, content_type: str
    ) -> None:
        mailbox = http_mailbox()
        assert post_raw(client, url(mailbox), raw_message(), content_type).status_code == 202
        assert InboundEmail.objects.count() == 1

    def test_a_duplicate_answers_200_with_the_same_row(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = http_mailbox()
        first = post_raw(client, url(mailbox), raw_message())
        again = post_raw(client, url(mailbox), raw_message())
        assert (first.status_code, again.status_code) == (202, 200)
        assert again.json() == first.json()
        assert InboundEmail.objects.count() == 1 and Ticket.objects.count() == 1

    def test_it_refuses_an_empty_body_and_other_content_types(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = http_mailbox()
        assert post_raw(client, url(mailbox), b"").status_code == 400
        assert post_raw(client, url(mailbox), b"  \r\n").status_code == 400
        assert post_raw(client, url(mailbox), b"{}", "application/json").status_code == 415
        assert InboundEmail.objects.count() == 0

    def test_it_refuses_a_message_over_the_mail_limit(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.MAIL_MAX_MB = 1  # type: ignore[attr-defined]
        mailbox = http_mailbox()
        big = raw_message(body="x" * (1024 * 1024 + 10))
        response = post_raw(client, url(mailbox), big)
        assert response.status_code == 413
        assert response.json() == {"error": "too large"}
        # Larger than the message limit and the form allowance: refused before it is read.
        huge = raw_message(body="x" * (3 * 1024 * 1024))
        assert post_raw(client, url(mailbox), huge).status_code == 413
        assert InboundEmail.objects.count() == 0


class InboundFormTests:
    @pytest.mark.parametrize("field", ["email", "body-mime"])
    def test_it_takes_the_message_from_a_form_field(
        self, client: Client, personas: Personas, field: str
    ) -> None:
        mailbox = http_mailbox()
        raw = raw_message()
        data = {"to": "help@acme.test", field: raw.decode(), "spam_score": "0.1"}
        response = client.post(url(mailbox), data)
        assert response.status_code == 202
        with InboundEmail.objects.get().raw.open("rb") as handle:
            assert handle.read() == raw

    def test_it_takes_the_message_from_an_uploaded_file(
        self, client: Client, personas: Personas, tmp_path: Path
    ) -> None:
        mailbox = http_mailbox()
        path = tmp_path / "message.eml"
        path.write_bytes(raw_message())
        with path.open("rb") as handle:
            response = client.post(url(mailbox), {"message": handle})
        assert response.status_code == 202
        assert InboundEmail.objects.get().subject == "Printer on fire"

    def test_it_keeps_an_8_bit_message_byte_for_byte(self) -> None:
        raw = b"Subject: =?euc-kr?B?x9GxuQ==?=\r\n\r\n" + "한국어 본문".encode("euc-kr")
        body = encode_multipart("BoUnDaRy", {"email": "placeholder", "to": "x"})
        body = body.replace(b"placeholder", raw)
        fields = form_fields("multipart/form-data; boundary=BoUnDaRy", body)
        assert fields["email"] == raw and fields["to"] == b"x"

    def test_it_refuses_a_form_without_a_message(self, client: Client, personas: Personas) -> None:
        mailbox = http_mailbox()
        response = client.post(url(mailbox), {"text": "Hello", "from": "casey@acme.test"})
        assert response.status_code == 400
        assert InboundEmail.objects.count() == 0


class InboundAccessTests:
    def test_an_unknown_secret_is_a_plain_404(self, client: Client, personas: Personas) -> None:
        http_mailbox()
        response = post_raw(client, "/mail/inbound/not-the-secret", raw_message())
        assert response.status_code == 404
        assert response.json() == {"error": "not found"}
        assert InboundEmail.objects.count() == 0

    def test_an_inactive_or_non_http_mailbox_is_a_404(
        self, client: Client, personas: Personas
    ) -> None:
        inactive = http_mailbox(active=False)
        pipe = http_mailbox(address="pipe@acme.test", delivery=Mailbox.Delivery.PIPE)
        assert post_raw(client, url(inactive), raw_message()).status_code == 404
        assert post_raw(client, url(pipe), raw_message()).status_code == 404
        assert InboundEmail.objects.count() == 0

    def test_it_answers_only_post(self, client: Client, personas: Personas) -> None:
        mailbox = http_mailbox()
        assert client.get(url(mailbox)).status_code == 405
        assert client.put(url(mailbox), raw_message()).status_code == 405

    def test_it_needs_no_csrf_token(self, personas: Personas) -> None:
        mailbox = http_mailbox()
        client = Client(enforce_csrf_checks=True)
        assert post_raw(client, url(mailbox), raw_message()).status_code == 202

    def test_a_database_failure_asks_the_sender_to_retry(
        self,
        client: Client,
        personas: Personas,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        # The one stand-in in this file: a real outage cannot be had on demand on both
        # databases.
        def outage(**kwargs: object) -> InboundEmail:
            raise OperationalError("database is locked")

        monkeypatch.setattr("supportal.mail.services.mail_ingest", outage)
        mailbox = http_mailbox()
        with caplog.at_level("ERROR", logger="supportal.mail.views.inbound"):
            response = post_raw(client, url(mailbox), raw_message())
        assert response.status_code == 503
        assert response["Retry-After"] == "60"
        assert "not stored" in caplog.text


@pytest.mark.django_db(transaction=True)
class InboundCommitTests:
    def test_the_row_is_committed_when_202_is_answered(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = http_mailbox()
        response = post_raw(client, url(mailbox), raw_message())
        assert response.status_code == 202
        # No test transaction wraps this test: a row seen here is committed.
        inbound = InboundEmail.objects.get(pk=response.json()["id"])
        assert inbound.raw.storage.exists(inbound.raw.name)
