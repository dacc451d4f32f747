"""Outbound mail of the email channel, delivered to a real SMTP server on loopback: sender,
Reply-To, threading headers, attachments, Auto-Submitted and held mail to bouncing addresses."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import send_mail

from supportal.accounts.models import User
from supportal.core.models import OutboundEmail
from supportal.lib.net import free_port
from supportal.mail.models import BouncingAddress, Mailbox, MessageReference, TicketMailbox
from supportal.test import Personas, make_user
from supportal.tickets import notifications
from supportal.tickets.models import Ticket
from supportal.tickets.services import (
    Changes,
    ticket_add_cc,
    ticket_create,
    ticket_reply,
    ticket_update,
)

# Delivery runs after commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER_MESSAGE_ID = "CAFk3x9-first@mail.example.test"


class Inbox:
    """What the SMTP server received: each message parsed with the modern email policy, so
    headers come back decoded."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(list(envelope.rcpt_tos))
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, rcpt in zip(self.messages, self.envelopes, strict=True) if address in rcpt]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
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


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.SITE_URL = "https://help.acme.test"


@pytest.fixture
def mailboxes(db: None) -> tuple[Mailbox, Mailbox]:
    """The default address (first by pk) and the one our customer writes to."""
    default = Mailbox.objects.create(address="support@acme.test", name="Acme Support")
    billing = Mailbox.objects.create(address="billing@acme.test", name="Acme Billing")
    return default, billing


def email_request(requester: User, mailbox: Mailbox, personas: Personas) -> Ticket:
    """A request as the inbound code leaves it: made by email, linked to the address written
    to, with the customer's Message-ID recorded."""
    ticket = ticket_create(
        requester=requester,
        subject="Can't print invoices",
        description="The print button does nothing.",
        channel="email",
        group=personas.support,
        notify=False,
    )
    TicketMailbox.objects.create(ticket=ticket, mailbox=mailbox)
    MessageReference.objects.create(
        message_id=CUSTOMER_MESSAGE_ID,
        ticket=ticket,
        ticket_message=ticket.messages.get(),
        outbound=False,
    )
    return ticket


def message_ids(header: str) -> list[str]:
    return [part.strip("<>") for part in header.split()]


def raw_of(row: OutboundEmail) -> EmailMessage:
    parsed = message_from_bytes(bytes(row.raw), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class AgentReplyTests:
    def test_it_answers_the_customers_mail_from_the_address_they_wrote_to(
        self, smtp_server: Inbox, personas: Personas, mailboxes: tuple[Mailbox, Mailbox]
    ) -> None:
        customer = make_user("minji@example.test", name="Minji Kim", language="ko")
        ticket = email_request(customer, mailboxes[1], personas)
        pdf = b"%PDF-1.4\n" + bytes(range(256)) * 8
        reply = ticket_reply(
            ticket=ticket,
            author=personas.agent,
            body="Please try again now; it's fixed.",
            attachments=[SimpleUploadedFile("steps.pdf", pdf, content_type="application/pdf")],
        )
        [mail] = smtp_server.to("minji@example.test")
        assert parseaddr(mail["From"]) == ("Acme Billing", "billing@acme.test")
        assert parseaddr(mail["Reply-To"])[1] == f"billing+{ticket.pk}@acme.test"
        sent_id = mail["Message-ID"].strip("<>")
        assert sent_id.startswith(f"request-{ticket.pk}-") and sent_id.endswith("@help.acme.test")
        stored = MessageReference.objects.get(message_id=sent_id)
        assert (stored.outbound, stored.ticket_id, stored.ticket_message_id) == (
            True,
            ticket.pk,
            reply.pk,
        )
        assert mail["In-Reply-To"] == f"<{CUSTOMER_MESSAGE_ID}>"
        references = message_ids(mail["References"])
        assert references[:2] == [f"request-{ticket.pk}@help.acme.test", CUSTOMER_MESSAGE_ID]
        assert mail["X-Supportal-Request"] == str(ticket.pk)
        assert mail["Thread-Topic"] == "Can't print invoices"
        # Written by a person, so no Auto-Submitted (RFC 3834).
        assert "Auto-Submitted" not in mail
        # In the customer's language, with the number for threading. (Django folds an encoded
        # subject onto the next line; unfolding leaves the space clients ignore.)
        korean = "문의에 새 답변이 등록되었습니다"
        assert mail["Subject"].strip() == f"[#{ticket.pk}] {korean}: Can't print invoices"
        text = mail.get_body(("plain",))
        html = mail.get_body(("html",))
        assert text is not None and html is not None
        assert "Please try again now; it's fixed." in text.get_content()
        assert "문의 보기" in text.get_content()
        assert "Please try again now; it&#x27;s fixed." in html.get_content()
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_filename() == "steps.pdf"
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_content() == pdf

    def test_it_answers_the_customers_latest_message_and_keeps_the_chain(
        self, smtp_server: Inbox, personas: Personas, mailboxes: tuple[Mailbox, Mailbox]
    ) -> None:
        ticket = email_request(personas.customer, mailboxes[1], personas)
        ticket_reply(ticket=ticket, author=personas.agent, body="First answer.")
        [first] = smtp_server.messages
        customer_reply = ticket_reply(ticket=ticket, author=personas.customer, body="Still broken.")
        MessageReference.objects.create(
            message_id="CAFk3x9-second@mail.example.test",
            ticket=ticket,
            ticket_message=customer_reply,
            outbound=False,
        )
        ticket_reply(ticket=ticket, author=personas.agent, body="Second answer.")
        last = smtp_server.to(personas.customer.email)[-1]
        assert last["In-Reply-To"] == "<CAFk3x9-second@mail.example.test>"
        references = message_ids(last["References"])
        assert references[:2] == [f"request-{ticket.pk}@help.acme.test", CUSTOMER_MESSAGE_ID]
        assert first["Message-ID"].strip("<>") in references
        assert references[-1] == "CAFk3x9-second@mail.example.test"
        assert len(references) == len(set(references))

    def test_it_lists_at_most_the_last_eight_ids_after_the_first_ones(
        self, settings: Any, personas: Personas, mailboxes: tuple[Mailbox, Mailbox]
    ) -> None:
        settings.EMAIL_HOST = ""
        ticket = email_request(personas.customer, mailboxes[1], personas)
        for number in range(12):
            ticket_reply(ticket=ticket, author=personas.agent, body=f"Answer {number}.")
        references = message_ids(raw_of(OutboundEmail.objects.latest("id"))["References"])
        assert len(references) == 2 + 8
        newest = MessageReference.objects.filter(ticket=ticket).order_by("-created_at", "-pk")
        # The mail itself is stored after its headers were built: the 8 before it.
        assert references[2:] == list(reversed([r.message_id for r in newest[1:9]]))

    def test_it_leaves_out_a_customer_id_no_header_could_carry(
        self, settings: Any, personas: Personas, mailboxes: tuple[Mailbox, Mailbox]
    ) -> None:
        settings.EMAIL_HOST = ""
        ticket = email_request(personas.customer, mailboxes[1], personas)
        MessageReference.objects.filter(ticket=ticket).update(message_id="broken id\n@x")
        ticket_reply(ticket=ticket, author=personas.agent, body="Answer.")
        mail = raw_of(OutboundEmail.objects.get())
        assert mail["In-Reply-To"] == f"<request-{ticket.pk}@help.acme.test>"
        assert mail["References"] == f"<request-{ticket.pk}@help.acme.test>"

    def test_it_leaves_out_files_that_would_make_the_mail_too_large(
        self, smtp_server: Inbox, settings: Any, personas: Personas
    ) -> None:
        settings.ATTACHMENT_MAX_MB = 1
        settings.ATTACHMENT_MAX_FILES = 2
        ticket = ticket_create(
            requester=personas.customer, subject="Logs", description="Here.", notify=False
        )
        big = b"x" * 900_000  # 1.2 MB once base64-encoded: two do not fit in 2 MB
        ticket_reply(
            ticket=ticket,
            author=personas.agent,
            body="Both logs attached.",
            attachments=[
                SimpleUploadedFile("one.log", big, content_type="text/plain"),
                SimpleUploadedFile("two.log", big, content_type="text/plain"),
            ],
        )
        [mail] = smtp_server.messages
        assert [part.get_filename() for part in mail.iter_attachments()] == ["one.log"]
        text = mail.get_body(("plain",))
        assert text is not None
        assert "too large to send by email; they are on the request page: two.log" in (
            text.get_content()
        )


class SenderTests:
    def test_it_sends_from_the_first_active_mailbox_when_the_request_has_none(
        self, settings: Any, personas: Personas
    ) -> None:
        settings.EMAIL_HOST = ""
        Mailbox.objects.create(address="old@acme.test", active=False)
        Mailbox.objects.create(address="help@acme.test", name="Acme Help")
        ticket = ticket_create(requester=personas.customer, subject="Hi", description="Hello.")
        mail = raw_of(OutboundEmail.objects.get())
        assert parseaddr(mail["From"]) == ("Acme Help", "help@acme.test")
        assert parseaddr(mail["Reply-To"])[1] == f"help+{ticket.pk}@acme.test"

    def test_it_falls_back_to_the_settings_without_any_mailbox(
        self, settings: Any, personas: Personas
    ) -> None:
        settings.EMAIL_HOST = ""
        settings.DEFAULT_FROM_EMAIL = "Supportal <noreply@acme.test>"
        settings.REPLY_TO_EMAIL = "replies@acme.test"
        ticket = ticket_create(requester=personas.customer, subject="Hi", description="Hello.")
        row = OutboundEmail.objects.get()
        mail = raw_of(row)
        assert row.from_email == "Supportal <noreply@acme.test>"
        assert mail["Reply-To"] == "replies@acme.test"
        assert mail["In-Reply-To"] == f"<request-{ticket.pk}@help.acme.test>"
        assert mail["References"] == f"<request-{ticket.pk}@help.acme.test>"


class AutoSubmittedTests:
    def test_it_marks_the_acknowledgement_as_auto_replied(
        self, smtp_server: Inbox, personas: Personas, mailboxes: tuple[Mailbox, Mailbox]
    ) -> None:
        ticket = email_request(personas.customer, mailboxes[1], personas)
        notifications.request_received(ticket)
        [mail] = smtp_server.messages
        assert mail["Auto-Submitted"] == "auto-replied"
        assert mail["In-Reply-To"] == f"<{CUSTOMER_MESSAGE_ID}>"
        assert parseaddr(mail["From"])[1] == "billing@acme.test"
        assert mail["Subject"].startswith(f"[#{ticket.pk}] We received your request")

    def test_it_lets_agents_answer_their_notifications_by_email(
        self, smtp_server: Inbox, personas: Personas, mailboxes: tuple[Mailbox, Mailbox]
    ) -> None:
        ticket = email_request(personas.customer, mailboxes[1], personas)
        ticket_update(ticket=ticket, actor=personas.admin, changes=Changes(assignee=personas.agent))
        ticket_reply(ticket=ticket, author=personas.customer, body="Any news?")
        assigned, replied = smtp_server.to(personas.agent.email)
        for mail in (assigned, replied):
            assert mail["Auto-Submitted"] == "auto-generated"
            assert parseaddr(mail["Reply-To"])[1] == f"billing+{ticket.pk}@acme.test"
            assert MessageReference.objects.filter(
                message_id=mail["Message-ID"].strip("<>"), outbound=True
            ).exists()
        assert replied["Subject"] == f"[#{ticket.pk}] Customer replied: Can't print invoices"


class BounceTests:
    def test_it_holds_mail_to_a_hard_bouncing_address(
        self, smtp_server: Inbox, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(
            email=personas.customer.email, permanent=True, reason="550 5.1.1 User unknown"
        )
        ticket = ticket_create(
            requester=personas.customer, subject="Hi", description="Hello.", notify=False
        )
        ticket_reply(ticket=ticket, author=personas.agent, body="Hello back.")
        row = OutboundEmail.objects.get()
        assert row.status == OutboundEmail.Status.SUPPRESSED
        assert row.bounced == f"{personas.customer.email} (550 5.1.1 User unknown)"
        assert row.recipients == [personas.customer.email]
        assert smtp_server.messages == []

    def test_it_still_sends_to_an_address_that_bounced_softly(
        self, smtp_server: Inbox, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(
            email=personas.customer.email, permanent=False, reason="452 mailbox full"
        )
        ticket_create(requester=personas.customer, subject="Hi", description="Hello.")
        assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
        assert len(smtp_server.messages) == 1

    def test_it_sends_the_others_their_copy(self, smtp_server: Inbox, personas: Personas) -> None:
        BouncingAddress.objects.create(email=personas.colleague.email, permanent=True)
        ticket = ticket_create(
            requester=personas.customer, subject="Hi", description="Hello.", notify=False
        )
        ticket_add_cc(ticket=ticket, actor=personas.agent, email=personas.colleague.email)
        ticket_reply(ticket=ticket, author=personas.agent, body="Hello both.")
        assert smtp_server.envelopes == [[personas.customer.email]]
        held = OutboundEmail.objects.filter(status=OutboundEmail.Status.SUPPRESSED)
        assert [row.recipients for row in held] == [
            [personas.colleague.email],
            [personas.colleague.email],
        ]

    def test_it_drops_only_the_bouncing_recipient_of_one_message(
        self, smtp_server: Inbox, db: None
    ) -> None:
        BouncingAddress.objects.create(email="gone@example.test", permanent=True, reason="no such")
        send_mail("Hi", "Body", "from@example.test", ["ok@example.test", "Gone@Example.test"])
        assert smtp_server.envelopes == [["ok@example.test"]]
        row = OutboundEmail.objects.get()
        assert row.status == OutboundEmail.Status.SENT
        assert row.recipients == ["ok@example.test"]

    def test_it_says_which_recipient_it_dropped(self, settings: Any, db: None) -> None:
        settings.EMAIL_HOST = ""
        BouncingAddress.objects.create(email="gone@example.test", permanent=True, reason="no such")
        send_mail("Hi", "Body", "from@example.test", ["ok@example.test", "gone@example.test"])
        row = OutboundEmail.objects.get()
        assert row.status == OutboundEmail.Status.HELD
        assert row.recipients == ["ok@example.test"]
        assert row.bounced == "gone@example.test (no such)"
