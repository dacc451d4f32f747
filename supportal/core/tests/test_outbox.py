from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import send_mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from supportal.core.models import OutboundEmail
from supportal.core.services import email_send
from supportal.core.tasks import deliver_email, retry_outbox
from supportal.lib.net import free_port
from supportal.mail.models import BouncingAddress
from supportal.test import Personas


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on loopback, configured as Supportal's mail server."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    try:
        yield inbox
    finally:
        controller.stop()


def queue_one(to: str = "someone@example.test", language: str = "ko") -> OutboundEmail:
    from supportal.accounts.models import User

    email_send(
        to=to,
        template="accounts/email/verify",
        context={"user": User(name="Kim", email=to), "path": "/ko/accounts/verify/x/"},
        language=language,
    )
    return OutboundEmail.objects.latest("id")


@pytest.mark.django_db
class OutboxStorageTests:
    def test_it_keeps_mail_when_no_server_is_configured(self, settings: Any) -> None:
        settings.EMAIL_HOST = ""
        row = queue_one()
        assert row.status == OutboundEmail.Status.HELD
        assert row.recipients == ["someone@example.test"]
        assert "/ko/accounts/verify/x/" in row.body_text
        assert row.body_html.startswith("<!doctype html>")

    def test_it_stores_mail_sent_through_djangos_api_too(self, settings: Any) -> None:
        settings.EMAIL_HOST = ""
        send_mail("Hello", "Body", "from@example.test", ["a@example.test", "b@example.test"])
        row = OutboundEmail.objects.get()
        assert row.subject == "Hello"
        assert row.recipients == ["a@example.test", "b@example.test"]


@pytest.mark.django_db(transaction=True)
class OutboxDeliveryTests:
    def test_it_delivers_over_smtp_after_the_transaction_commits(self, smtp_server: Inbox) -> None:
        row = queue_one(to="kim@example.test")
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.SENT
        assert row.sent_at is not None
        assert smtp_server.envelopes[0][1] == ["kim@example.test"]
        message = smtp_server.messages[0]
        assert message["To"] == "kim@example.test"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message.is_multipart()

    def test_it_records_a_failure_and_retries_later(self, settings: Any) -> None:
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = free_port()  # nothing listens there
        settings.EMAIL_TIMEOUT = 2
        row = queue_one()
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.PENDING
        assert row.attempts == 1
        assert row.last_error

    def test_it_sends_pending_mail_once_a_server_appears(
        self, settings: Any, smtp_server: Inbox
    ) -> None:
        port = settings.EMAIL_PORT
        settings.EMAIL_PORT = free_port()
        row = queue_one()
        settings.EMAIL_PORT = port
        retry_outbox.call_local()
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.SENT
        assert row.attempts == 2
        # Delivering again does nothing: the row is no longer pending.
        deliver_email.call_local(row.pk)
        assert len(smtp_server.messages) == 1


@pytest.mark.django_db
class OutboxPageTests:
    def test_it_lists_mail_for_admins_with_a_fixed_number_of_queries(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.EMAIL_HOST = ""
        for i in range(3):
            queue_one(to=f"user{i}@example.test")
        client.force_login(personas.admin)
        client.get("/en/manage/outbox/")  # warms per-minute caches (the site notice)
        with CaptureQueriesContext(connection) as few:
            response = client.get("/en/manage/outbox/")
        for i in range(3, 30):
            queue_one(to=f"user{i}@example.test")
        with CaptureQueriesContext(connection) as many:
            client.get("/en/manage/outbox/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "user2@example.test" in html
        assert "Email delivery is not configured" in html
        assert len(few) == len(many) <= 6

    def test_it_shows_mail_held_for_a_bouncing_address_with_the_reason(
        self, client: Client, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(
            email="gone@example.test", permanent=True, reason="550 5.1.1 User unknown"
        )
        row = queue_one(to="gone@example.test")
        assert row.status == OutboundEmail.Status.SUPPRESSED
        client.force_login(personas.admin)
        listing = client.get("/en/manage/outbox/").content.decode()
        assert "Held: the address bounces" in listing
        assert "gone@example.test (550 5.1.1 User unknown)" in listing
        detail = client.get(f"/en/manage/outbox/{row.pk}/").content.decode()
        assert "Why it is held" in detail
        assert "gone@example.test (550 5.1.1 User unknown)" in detail

    def test_it_says_in_the_readers_language_which_recipients_were_left_out(
        self, client: Client, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(email="gone@example.test", permanent=True, reason="no such")
        send_mail("Hi", "Body", "from@example.test", ["ok@example.test", "gone@example.test"])
        client.force_login(personas.admin)
        listing = client.get("/ko/manage/outbox/").content.decode()
        assert "반송되는 다음 주소로는 보내지 않았습니다:" in listing
        assert "gone@example.test (no such)" in listing
        assert "which bounce" not in listing

    def test_it_paginates(self, client: Client, personas: Personas) -> None:
        for i in range(51):
            queue_one(to=f"user{i}@example.test")
        client.force_login(personas.admin)
        first = client.get("/en/manage/outbox/").content.decode()
        second = client.get("/en/manage/outbox/?page=2").content.decode()
        assert "Page 1 of 2" in first
        assert "user0@example.test" in second
        assert "user0@example.test" not in first

    def test_it_shows_one_message_with_its_link(self, client: Client, personas: Personas) -> None:
        row = queue_one(language="en")
        client.force_login(personas.admin)
        html = client.get(f"/en/manage/outbox/{row.pk}/").content.decode()
        assert "Confirm your email address" in html
        assert 'href="http://127.0.0.1:8000/ko/accounts/verify/x/"' in html

    @pytest.mark.parametrize("persona", ["customer", "colleague", "outsider", "agent"])
    def test_it_is_forbidden_to_everyone_but_admins(
        self, client: Client, personas: Personas, persona: str
    ) -> None:
        row = queue_one()
        client.force_login(getattr(personas, persona))
        assert client.get("/en/manage/outbox/").status_code == 403
        assert client.get(f"/en/manage/outbox/{row.pk}/").status_code == 403

    def test_it_sends_visitors_to_sign_in(self, client: Client, db: None) -> None:
        response = client.get("/en/manage/outbox/")
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")

    def test_it_answers_404_for_an_unknown_message(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        assert client.get("/en/manage/outbox/999999/").status_code == 404

    def test_it_refuses_posts(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.post("/en/manage/outbox/").status_code == 405

    def test_it_hides_the_banner_when_delivery_is_configured(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.EMAIL_HOST = "smtp.example.test"
        client.force_login(personas.admin)
        html = client.get("/en/manage/outbox/").content.decode()
        assert "Email delivery is not configured" not in html
