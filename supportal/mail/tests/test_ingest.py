"""Inbound mail through the one ingestion service: requests, threading, loops, limits."""

from __future__ import annotations

from typing import Any

import pytest

from supportal.accounts.models import Organization, User
from supportal.core.models import OutboundEmail
from supportal.lib.tests.mailsamples import PIXEL_PNG
from supportal.mail.models import BouncingAddress, InboundEmail, MessageReference, TicketMailbox
from supportal.mail.services import inbound_release, inbound_reprocess
from supportal.mail.tests.factories import email, ingest, make_mailbox
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Channel, Message, Status, Ticket, TicketLink
from supportal.tickets.services import Changes, ticket_merge, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db
Fate = InboundEmail.Fate

PNG = PIXEL_PNG  # a real image: inline images are decoded and re-encoded


def _our_message_id(ticket: Ticket) -> str:
    """The Message-ID of the latest mail we sent about the ticket."""
    return (
        MessageReference.objects.filter(ticket=ticket, outbound=True)
        .order_by("-created_at", "-pk")
        .values_list("message_id", flat=True)
        .first()
        or f"request-{ticket.pk}@127.0.0.1"
    )


class NewRequestTests:
    def test_it_makes_a_request_for_an_unknown_sender(self, personas: Personas) -> None:
        mailbox = make_mailbox(group=personas.support)
        row = ingest(email(sender="Dana Lee <Dana@Newco.test>"), mailbox)
        assert row.fate == Fate.CREATED
        assert row.reason == "new_request"
        ticket = Ticket.objects.get(pk=row.ticket_id)
        assert ticket.subject == "Printer on fire"
        assert ticket.channel == Channel.EMAIL
        assert ticket.group == personas.support
        assert ticket.requester.email == "dana@newco.test"
        assert ticket.requester.name == "Dana Lee"
        assert ticket.requester.is_customer
        assert not ticket.requester.has_usable_password()
        assert ticket.messages.get().body == "The printer in room 4 is on fire."
        assert TicketMailbox.objects.get(ticket=ticket).mailbox == mailbox
        assert MessageReference.objects.filter(ticket=ticket, outbound=False).count() == 1

    def test_it_acknowledges_with_a_link_that_signs_the_sender_in(self, personas: Personas) -> None:
        row = ingest(email(sender="dana@newco.test"), make_mailbox())
        mail = OutboundEmail.objects.get(to="dana@newco.test")
        assert f"[#{row.ticket_id}]" in mail.subject
        assert "/requests/access/" in mail.body_text

    def test_it_acknowledges_once_even_when_the_task_runs_twice(self, personas: Personas) -> None:
        from supportal.mail.services import inbound_acknowledge

        row = ingest(email(sender="dana@newco.test"), make_mailbox())
        assert not inbound_acknowledge(pk=row.pk)  # the worker's task already did
        assert OutboundEmail.objects.filter(to="dana@newco.test").count() == 1
        row.refresh_from_db()
        assert not row.ack_pending

    def test_an_acknowledgement_whose_task_was_lost_is_sent_by_the_sweep(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        from datetime import timedelta

        from django.utils import timezone

        from supportal.mail.services import inbound_acknowledge_stale, mail_ingest

        # The process dies between its commit and queueing the task: the callback never runs.
        with django_capture_on_commit_callbacks(execute=False):
            row = mail_ingest(
                raw=email(sender="dana@newco.test"), mailbox=make_mailbox(), source="pipe"
            )
        assert row.fate == Fate.CREATED
        assert not OutboundEmail.objects.exists()
        assert inbound_acknowledge_stale() == 0  # too recent: its task may still be queued
        InboundEmail.objects.filter(pk=row.pk).update(
            processed_at=timezone.now() - timedelta(minutes=5)
        )
        assert inbound_acknowledge_stale() == 1
        mail = OutboundEmail.objects.get(to="dana@newco.test")
        assert "/requests/access/" in mail.body_text
        assert inbound_acknowledge_stale() == 0

    def test_replies_and_noise_are_not_acknowledged(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        ticket = make_ticket(personas.customer)
        before = OutboundEmail.objects.count()
        reply = ingest(email(subject=f"Re: [#{ticket.pk}] Printer"), mailbox)
        noise = ingest(email(headers={"Auto-Submitted": "auto-replied"}), mailbox)
        assert (reply.fate, noise.fate) == (Fate.APPENDED, Fate.IGNORED)
        assert not InboundEmail.objects.filter(ack_pending=True).exists()
        assert OutboundEmail.objects.count() == before

    def test_it_puts_new_people_in_the_organization_of_their_domain(
        self, personas: Personas
    ) -> None:
        Organization.objects.filter(pk=personas.globex.pk).update(
            email_domains="globex.test, globex.co.kr"
        )
        row = ingest(email(sender="li@globex.co.kr"), make_mailbox())
        ticket = Ticket.objects.get(pk=row.ticket_id)
        assert ticket.requester.organization == personas.globex
        assert ticket.organization == personas.globex

    def test_it_makes_the_other_people_written_to_ccs(self, personas: Personas) -> None:
        make_mailbox("other@support.test")
        raw = email(
            to="help@support.test, Boss <boss@acme.test>",
            cc="minseo@acme.test, other@support.test, help+77@support.test",
        )
        row = ingest(raw, make_mailbox())
        ticket = Ticket.objects.get(pk=row.ticket_id)
        assert sorted(ticket.cc.values_list("email", flat=True)) == [
            "boss@acme.test",
            "minseo@acme.test",
        ]

    def test_it_keeps_the_html_and_folds_away_the_quote(self, personas: Personas) -> None:
        html = (
            "<p>Hello, <b>the printer</b> is on fire.</p><script>alert(1)</script>"
            '<img src="https://tracker.example/pixel.gif">'
            '<div class="gmail_quote">On Mon, Bob wrote:<blockquote>old text</blockquote></div>'
        )
        body = "Hello, the printer is on fire.\n\nOn Mon, Bob wrote:\n> old text\n"
        row = ingest(email(body=body, html=html), make_mailbox())
        message = Message.objects.get(ticket_id=row.ticket_id)
        assert message.body == "Hello, the printer is on fire."
        assert "old text" in row.quoted_text
        assert "<b>the printer</b>" in row.html
        assert "script" not in row.html
        assert "tracker.example" not in row.html
        assert row.remote_images_removed

    def test_it_drops_an_attachment_that_breaks_the_limits_and_says_so(
        self, personas: Personas
    ) -> None:
        raw = email(
            attachments=[
                ("screenshot.png", "image/png", PNG),
                ("setup.exe", "application/octet-stream", b"MZ" + b"\x00" * 100),
            ]
        )
        row = ingest(raw, make_mailbox())
        ticket = Ticket.objects.get(pk=row.ticket_id)
        assert list(ticket.attachments.values_list("filename", flat=True)) == ["screenshot.png"]
        note = ticket.messages.get(public=False)
        assert "setup.exe" in note.body
        assert note.author is None

    def test_it_shows_inline_images_in_place(self, personas: Personas) -> None:
        from email.message import EmailMessage

        message = EmailMessage()
        message["From"] = "casey@acme.test"
        message["To"] = "help@support.test"
        message["Subject"] = "Look"
        message["Message-ID"] = "<inline-1@acme.test>"
        message.set_content("See the picture.")
        message.add_alternative('<p>See <img src="cid:pic1@acme.test" alt="pic"></p>', "html")
        message.get_payload()[1].add_related(
            PNG, maintype="image", subtype="png", cid="<pic1@acme.test>", filename="pic.png"
        )
        row = ingest(message.as_bytes(), make_mailbox())
        attachment = Ticket.objects.get(pk=row.ticket_id).attachments.get()
        assert f"/attachments/{attachment.pk}/pic.png" in row.html
        assert "cid:" not in row.html

    def test_a_malformed_message_still_becomes_a_request(self, personas: Personas) -> None:
        raw = (
            b"From: casey@acme.test\r\nTo: help@support.test\r\nSubject: =?utf-8?B?broken\r\n"
            b"Content-Type: multipart/mixed; boundary=nope\r\n\r\n--wrong\r\nhello \xff\xfe\r\n"
        )
        row = ingest(raw, make_mailbox())
        assert row.fate == Fate.CREATED
        assert row.raw.size == len(raw)


class ThreadingTests:
    def test_a_reply_to_our_mail_joins_its_request(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        first = ingest(email(message_id="<first@acme.test>"), mailbox)
        ticket = Ticket.objects.get(pk=first.ticket_id)
        ticket_reply(ticket=ticket, author=personas.agent, body="We are on it.")
        ours = _our_message_id(ticket)
        reply = ingest(
            email(subject="Re: Printer on fire", body="Still burning.", in_reply_to=f"<{ours}>"),
            mailbox,
        )
        assert reply.fate == Fate.APPENDED
        assert reply.ticket_id == ticket.pk
        bodies = ticket.messages.order_by("created_at", "pk").values_list("body", flat=True)
        assert list(bodies) == [
            "The printer in room 4 is on fire.",
            "We are on it.",
            "Still burning.",
        ]

    def test_a_reply_naming_the_customers_first_message_joins_too(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        first = ingest(email(message_id="<first@acme.test>"), mailbox)
        reply = ingest(
            email(
                sender="minseo@acme.test",
                body="Same here.",
                references="<unknown@x.test> <first@acme.test>",
            ),
            mailbox,
        )
        assert reply.ticket_id == first.ticket_id

    def test_our_mail_about_an_emailed_reply_answers_that_email(self, personas: Personas) -> None:
        from email import message_from_bytes

        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(assignee=personas.agent))
        raw = email(subject=f"Re: [#{ticket.pk}]", message_id="<reply-7@acme.test>")
        ingest(raw, make_mailbox())
        mail = OutboundEmail.objects.filter(to=personas.agent.email).latest("pk")
        assert message_from_bytes(bytes(mail.raw))["In-Reply-To"] == "<reply-7@acme.test>"

    def test_the_number_in_the_reply_address_joins_for_the_requester(
        self, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        row = ingest(email(to=f"help+{ticket.pk}@support.test", body="More info."), make_mailbox())
        assert row.ticket_id == ticket.pk
        assert row.fate == Fate.APPENDED

    def test_the_number_in_the_subject_joins_for_a_colleague_who_may_see_it(
        self, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        raw = email(sender="minseo@acme.test", subject=f"Re: [#{ticket.pk}] Cannot sign in")
        row = ingest(raw, make_mailbox())
        assert row.ticket_id == ticket.pk

    def test_a_guessed_number_cannot_add_to_someone_elses_request(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        mailbox = make_mailbox()
        for raw in (
            email(sender="wang@globex.test", subject=f"[#{ticket.pk}] I am in"),
            email(sender="eve@evil.test", to=f"help+{ticket.pk}@support.test"),
        ):
            row = ingest(raw, mailbox)
            assert row.fate == Fate.CREATED
            assert row.ticket_id != ticket.pk
        assert ticket.messages.count() == 1

    def test_someone_forwarded_our_mail_answers_as_an_internal_note(
        self, personas: Personas
    ) -> None:
        mailbox = make_mailbox()
        first = ingest(email(), mailbox)
        ticket = Ticket.objects.get(pk=first.ticket_id)
        ticket_reply(ticket=ticket, author=personas.agent, body="We are on it.")
        raw = email(sender="eve@evil.test", in_reply_to=f"<{_our_message_id(ticket)}>")
        row = ingest(raw, mailbox)
        assert row.reason == "outside_note"
        note = ticket.messages.latest("pk")
        assert not note.public
        assert note.author.email == "eve@evil.test"

    def test_a_reply_to_a_solved_request_reopens_it(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        row = ingest(email(subject=f"Re: [#{ticket.pk}]", body="Not fixed."), make_mailbox())
        ticket.refresh_from_db()
        assert row.ticket_id == ticket.pk
        assert ticket.status == Status.OPEN

    def test_a_reply_to_a_closed_request_opens_a_linked_follow_up(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.CLOSED))
        row = ingest(email(subject=f"Re: [#{ticket.pk}] Cannot sign in"), make_mailbox())
        assert row.fate == Fate.CREATED
        assert row.reason == "follow_up"
        assert TicketLink.objects.filter(first=ticket, second_id=row.ticket_id).exists()

    def test_a_reply_to_a_merged_request_opens_a_linked_follow_up(self, personas: Personas) -> None:
        source = make_ticket(personas.customer)
        target = make_ticket(personas.customer, "Other")
        ticket_merge(source=source, target=target, actor=personas.agent)
        row = ingest(email(subject=f"Re: [#{source.pk}]"), make_mailbox())
        assert row.reason == "follow_up"
        assert TicketLink.objects.filter(first=source, second_id=row.ticket_id).exists()

    def test_an_agent_answering_a_notification_replies_publicly(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        raw = email(sender="jiwoo@support.test", subject=f"Re: [#{ticket.pk}]", body="Restart it.")
        row = ingest(raw, make_mailbox())
        assert row.reason == "agent_reply"
        reply = ticket.messages.latest("pk")
        assert (reply.author, reply.public, reply.body) == (personas.agent, True, "Restart it.")
        assert OutboundEmail.objects.filter(to=personas.customer.email).exists()


class NoiseTests:
    def test_auto_replies_never_create_or_reopen_or_get_an_answer(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        before = OutboundEmail.objects.count()
        mailbox = make_mailbox()
        variants: list[dict[str, str]] = [
            {"Auto-Submitted": "auto-replied"},
            {"X-Autoreply": "yes"},
            {"X-Autorespond": "yes"},
            {"Precedence": "bulk"},
            {"Precedence": "junk"},
        ]
        for headers in variants:
            row = ingest(email(subject=f"Out of office: [#{ticket.pk}]", headers=headers), mailbox)
            assert row.fate == Fate.IGNORED, headers
            assert row.ticket_id is None
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
        assert OutboundEmail.objects.count() == before

    def test_a_bounce_marks_the_address_and_holds_later_mail(self, personas: Personas) -> None:
        report = (
            b"From: MAILER-DAEMON@mx.acme.test\r\nTo: help@support.test\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.acme.test>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
            b' boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n'
            b"Your message could not be delivered.\r\n--b1\r\n"
            b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n"
            b"\r\nFinal-Recipient: rfc822; casey@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n--b1--\r\n"
        )
        row = ingest(report, make_mailbox())
        assert (row.fate, row.reason) == (Fate.IGNORED, "bounce")
        bouncing = BouncingAddress.objects.get(email="casey@acme.test")
        assert bouncing.permanent
        assert "User unknown" in bouncing.reason
        assert Ticket.objects.count() == 0
        make_ticket(personas.customer)
        held = OutboundEmail.objects.get(to="casey@acme.test")
        assert held.status == OutboundEmail.Status.SUPPRESSED

    def test_mail_written_from_a_bouncing_address_clears_it(self, personas: Personas) -> None:
        BouncingAddress.objects.create(email="casey@acme.test", permanent=True, reason="550")
        ingest(email(), make_mailbox())
        assert not BouncingAddress.objects.exists()

    def test_mail_from_our_own_address_is_ignored(self, personas: Personas) -> None:
        row = ingest(email(sender="help@support.test"), make_mailbox())
        assert (row.fate, row.reason) == (Fate.IGNORED, "from_us")

    def test_a_flood_from_one_sender_is_held_and_can_be_processed(
        self, personas: Personas, settings: Any
    ) -> None:
        settings.MAIL_SENDER_HOURLY_LIMIT = 3
        mailbox = make_mailbox()
        rows = [ingest(email(subject=f"Spam {n}"), mailbox) for n in range(5)]
        assert [row.fate for row in rows] == [Fate.CREATED] * 3 + [Fate.HELD] * 2
        assert Ticket.objects.count() == 3
        row = inbound_reprocess(inbound=rows[3], actor=personas.admin)
        assert row.fate == Fate.CREATED
        assert Ticket.objects.count() == 4

    def test_spam_waits_in_the_spam_view_until_released(self, personas: Personas) -> None:
        row = ingest(email(headers={"X-Spam-Flag": "YES"}), make_mailbox())
        assert row.fate == Fate.SPAM
        assert Ticket.objects.count() == 0
        row = inbound_release(inbound=row, actor=personas.agent)
        assert row.fate == Fate.CREATED
        assert Ticket.objects.get().subject == "Printer on fire"


class OnceTests:
    def test_the_same_message_id_is_never_ingested_twice(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        raw = email(message_id="<once@acme.test>")
        first, second = ingest(raw, mailbox), ingest(raw, mailbox)
        assert second.pk == first.pk
        assert second.duplicate
        assert Ticket.objects.count() == 1

    def test_messages_without_an_id_are_told_apart_by_their_bytes(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        raw = b"From: casey@acme.test\r\nSubject: no id\r\n\r\nhello\r\n"
        ingest(raw, mailbox)
        ingest(raw, mailbox)
        ingest(raw.replace(b"hello", b"hello again"), mailbox)
        assert Ticket.objects.count() == 2

    def test_a_process_that_dies_mid_way_leaves_nothing_and_the_next_delivery_makes_it(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from supportal.mail.services import ingest as ingest_module

        def killed(*args: Any, **kwargs: Any) -> None:
            raise KeyboardInterrupt  # the process dies while making the request

        mailbox = make_mailbox()
        raw = email(message_id="<crash@acme.test>")
        with monkeypatch.context() as patch:
            patch.setattr(ingest_module, "_process", killed)
            with pytest.raises(KeyboardInterrupt):
                ingest(raw, mailbox)
        # Nothing half-made; the source was not told it arrived, so it delivers it again.
        assert not InboundEmail.objects.exists()
        assert not Ticket.objects.exists()
        row = ingest(raw, mailbox)
        assert (row.fate, row.duplicate) == (Fate.CREATED, False)
        assert ingest(raw, mailbox).duplicate
        assert Ticket.objects.count() == 1

    def test_a_message_stored_but_never_processed_is_finished_once_later(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Rows left "received" (stored by an earlier version, which processed in a second
        transaction) are finished by the next delivery or by the worker's sweep, once."""
        from datetime import timedelta

        from django.utils import timezone

        from supportal.mail.services import inbound_process_stale
        from supportal.mail.services import ingest as ingest_module

        def unprocessed(inbound: InboundEmail, *args: Any, **kwargs: Any) -> InboundEmail:
            return inbound

        mailbox = make_mailbox()
        raw = email(message_id="<stored@acme.test>")
        with monkeypatch.context() as patch:
            patch.setattr(ingest_module, "_process_guarded", unprocessed)
            ingest(raw, mailbox)
            ingest(email(message_id="<stored-2@acme.test>"), mailbox)
        assert InboundEmail.objects.filter(fate=Fate.RECEIVED).count() == 2
        # The same message again (IMAP fetches it again, a mail service retries): done now.
        row = ingest(raw, mailbox)
        assert (row.fate, row.duplicate) == (Fate.CREATED, False)
        assert ingest(raw, mailbox).duplicate
        # Without a retry, the worker's sweep finishes the other one.
        assert inbound_process_stale() == 0  # too recent: its own process may still be on it
        InboundEmail.objects.filter(fate=Fate.RECEIVED).update(
            received_at=timezone.now() - timedelta(minutes=10)
        )
        assert inbound_process_stale() == 1
        assert inbound_process_stale() == 0
        assert Ticket.objects.count() == 2

    def test_a_failure_is_kept_and_can_be_processed_after_a_fix(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from supportal.mail.services import delivery

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("bug in the request form code")

        monkeypatch.setattr(delivery, "_ticket_create", broken)
        mailbox = make_mailbox()
        row = ingest(email(), mailbox)
        assert row.fate == Fate.FAILED
        assert "bug in the request form code" in row.detail
        after = ingest(email(subject="next one"), mailbox)
        assert after.fate == Fate.FAILED  # still broken, but it was stored and did not block
        monkeypatch.undo()
        row = inbound_reprocess(inbound=row, actor=personas.admin)
        assert row.fate == Fate.CREATED
        assert InboundEmail.objects.count() == 2

    def test_a_huge_message_is_rejected_with_its_headers_kept(
        self, personas: Personas, settings: Any
    ) -> None:
        settings.MAIL_MAX_MB = 1
        raw = email(body="x" * (2 * 1024 * 1024))
        row = ingest(raw, make_mailbox())
        assert (row.fate, row.reason) == (Fate.REJECTED, "too_large")
        assert row.sender == "casey@acme.test"
        assert row.raw.size < 300 * 1024
        assert User.objects.filter(email="casey@acme.test").count() == 1
