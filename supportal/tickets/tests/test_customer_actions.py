"""The request page's actions (reply, solve, reopen, CC) and attachment downloads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from supportal.test import Personas, make_ticket
from supportal.tickets import services
from supportal.tickets.models import Attachment, Message, Status, Ticket, TicketCC, TicketEvent
from supportal.tickets.tests.test_customer_fixtures import (
    PNG,
    detail,
    mail_to,
    set_status,
    upload,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


class ReplyTests:
    def test_it_adds_a_reply_with_attachments(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        response = client.post(
            detail(ticket, "reply"), {"body": "More detail.", "attachments": [upload("x.log")]}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/en/requests/{ticket.pk}/#latest"
        message = Message.objects.filter(ticket=ticket).latest("pk")
        assert message.body == "More detail." and message.author == personas.customer
        assert [a.filename for a in message.attachments.all()] == ["x.log"]
        html = client.get(detail(ticket)).content.decode()
        assert "Your reply has been added." in html and "x.log" in html

    def test_it_keeps_the_text_when_a_file_is_refused(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        response = client.post(
            detail(ticket, "reply"), {"body": "My careful words", "attachments": [upload("a.exe")]}
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "My careful words" in html and "“a.exe” is not a file type we accept." in html
        assert "please choose them again" in html
        assert Message.objects.filter(ticket=ticket).count() == 1

    def test_it_asks_for_a_message(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        response = client.post(detail(ticket, "reply"), {"body": "   "})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()

    def test_it_reopens_a_solved_request_within_the_window(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        set_status(ticket, Status.SOLVED, personas.agent)
        client.force_login(personas.customer)
        client.post(detail(ticket, "reply"), {"body": "Not fixed after all."})
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN

    def test_it_refuses_replies_on_closed_requests(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        set_status(ticket, Status.CLOSED, personas.agent)
        client.force_login(personas.customer)
        response = client.post(detail(ticket, "reply"), {"body": "Hello?"}, follow=True)
        assert "This request is closed and cannot be changed." in response.content.decode()
        assert Message.objects.filter(ticket=ticket).count() == 1

    def test_it_lets_a_colleague_reply_on_a_shared_request(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.colleague)
        assert client.post(detail(ticket, "reply"), {"body": "Same here."}).status_code == 302


class SolveAndReopenTests:
    def test_it_marks_a_request_solved_once(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        assert "Mark as solved" in client.get(detail(ticket)).content.decode()
        response = client.post(detail(ticket, "solve"), follow=True)
        html = response.content.decode()
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
        assert "The request is marked as solved." in html
        assert "Mark as solved" not in html and "Reopen request" in html
        client.post(detail(ticket, "solve"))
        assert TicketEvent.objects.filter(ticket=ticket, field="status").count() == 1

    def test_it_reopens_within_the_window(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        set_status(ticket, Status.SOLVED, personas.agent)
        client.force_login(personas.customer)
        html = client.post(detail(ticket, "reopen"), follow=True).content.decode()
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert "The request is open again." in html

    def test_it_explains_that_a_new_request_is_needed_after_the_window(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        earlier = timezone.now() - settings.REOPEN_WINDOW - timedelta(days=1)  # type: ignore[attr-defined]
        with time_machine.travel(earlier):
            ticket = make_ticket(personas.customer)
            set_status(ticket, Status.SOLVED, personas.agent)
        client.force_login(personas.customer)
        html = client.get(detail(ticket)).content.decode()
        assert "can no longer be reopened" in html
        assert 'href="/en/requests/new"' in html
        assert "Reopen request" not in html and "Send reply" not in html
        response = client.post(detail(ticket, "reopen"), follow=True)
        assert "This request can no longer be reopened." in response.content.decode()
        client.post(detail(ticket, "reply"), {"body": "Sneaky reopen"})
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
        assert not Message.objects.filter(body="Sneaky reopen").exists()

    def test_it_refuses_to_reopen_a_closed_request(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        set_status(ticket, Status.CLOSED, personas.agent)
        client.force_login(personas.customer)
        client.post(detail(ticket, "reopen"))
        ticket.refresh_from_db()
        assert ticket.status == Status.CLOSED


class CcTests:
    def test_it_adds_a_person_in_cc_who_is_told_by_email(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        response = client.post(detail(ticket, "cc"), {"email": "New.Person@Example.test"})
        assert response.status_code == 302
        assert response["Location"] == f"/en/requests/{ticket.pk}/#cc"
        assert ticket.cc.get().email == "new.person@example.test"
        assert len(mail_to("new.person@example.test")) == 1
        html = client.get(detail(ticket)).content.decode()
        assert "new.person@example.test is now in CC" in html

    def test_it_refuses_a_bad_address_keeping_it(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        response = client.post(detail(ticket, "cc"), {"email": "nobody at all"})
        html = response.content.decode()
        assert response.status_code == 400
        assert "Enter a valid email address." in html and 'value="nobody at all"' in html
        assert TicketCC.objects.count() == 0

    def test_it_refuses_to_add_the_requester(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        response = client.post(detail(ticket, "cc"), {"email": "casey@acme.test"})
        assert response.status_code == 400
        assert "The requester already follows this request." in response.content.decode()

    def test_the_requester_removes_someone(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        services.ticket_add_cc(ticket=ticket, actor=personas.customer, email="wang@globex.test")
        client.force_login(personas.customer)
        response = client.post(detail(ticket, f"cc/{personas.outsider.pk}/remove"))
        assert response.status_code == 302
        assert TicketCC.objects.count() == 0

    def test_a_person_in_cc_removes_themself_and_loses_access(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        services.ticket_add_cc(ticket=ticket, actor=personas.customer, email="wang@globex.test")
        client.force_login(personas.outsider)
        response = client.post(detail(ticket, f"cc/{personas.outsider.pk}/remove"))
        assert response["Location"] == "/en/requests/"
        assert client.get(detail(ticket)).status_code == 404

    def test_a_colleague_may_not_remove_someone_else(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        services.ticket_add_cc(ticket=ticket, actor=personas.customer, email="wang@globex.test")
        client.force_login(personas.colleague)
        assert client.post(detail(ticket, f"cc/{personas.outsider.pk}/remove")).status_code == 403
        assert client.post(detail(ticket, "cc/999999/remove")).status_code == 404
        assert TicketCC.objects.count() == 1


class AttachmentDownloadTests:
    def attachments(self, personas: Personas) -> tuple[Ticket, Attachment, Attachment]:
        ticket = make_ticket(
            personas.customer,
            attachments=[upload("shot.png", PNG), upload("page.html", b"<script>1</script>")],
        )
        return ticket, *Attachment.objects.order_by("filename")[::-1]  # type: ignore[return-value]

    def test_it_serves_a_safe_image_inline_and_anything_else_as_a_download(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.ATTACHMENT_TYPES = [*settings.ATTACHMENT_TYPES, "html"]  # type: ignore[attr-defined]
        ticket, image, page = self.attachments(personas)
        client.force_login(personas.customer)
        shown = client.get(url(f"{ticket.pk}/attachments/{image.pk}/shot.png"))
        assert shown.status_code == 200
        assert shown["Content-Type"] == "image/png"
        assert shown["Content-Disposition"].startswith("inline")
        assert shown["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
        saved = client.get(url(f"{ticket.pk}/attachments/{page.pk}/page.html"))
        assert saved["Content-Disposition"] == (
            "attachment; filename=\"page.html\"; filename*=UTF-8''page.html"
        )
        assert saved["Content-Type"] == "application/octet-stream"
        assert saved["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert saved["X-Content-Type-Options"] == "nosniff"

    def test_it_serves_agents_too(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.ATTACHMENT_TYPES = [*settings.ATTACHMENT_TYPES, "html"]  # type: ignore[attr-defined]
        ticket, image, _page = self.attachments(personas)
        client.force_login(personas.agent)
        response = client.get(url(f"{ticket.pk}/attachments/{image.pk}/shot.png"))
        assert response.status_code == 200

    def test_it_answers_404_for_another_ticket_number_or_a_hidden_note(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.ATTACHMENT_TYPES = [*settings.ATTACHMENT_TYPES, "html"]  # type: ignore[attr-defined]
        ticket, image, _page = self.attachments(personas)
        other = make_ticket(personas.customer, "Other")
        services.ticket_reply(
            ticket=ticket,
            author=personas.agent,
            body="Internal file",
            public=False,
            attachments=[upload("secret.txt")],
        )
        secret = Attachment.objects.get(filename="secret.txt")
        client.force_login(personas.customer)
        assert client.get(url(f"{other.pk}/attachments/{image.pk}/shot.png")).status_code == 404
        assert client.get(url(f"{ticket.pk}/attachments/{secret.pk}/secret.txt")).status_code == (
            404
        )
        assert "secret.txt" not in client.get(detail(ticket)).content.decode()
        client.force_login(personas.outsider)
        assert client.get(url(f"{ticket.pk}/attachments/{image.pk}/shot.png")).status_code == 404
        client.force_login(personas.agent)
        assert client.get(url(f"{ticket.pk}/attachments/{secret.pk}/secret.txt")).status_code == (
            200
        )

    def test_it_answers_404_when_the_file_is_gone(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.ATTACHMENT_TYPES = [*settings.ATTACHMENT_TYPES, "html"]  # type: ignore[attr-defined]
        ticket, image, _page = self.attachments(personas)
        image.file.delete(save=False)
        client.force_login(personas.customer)
        assert client.get(url(f"{ticket.pk}/attachments/{image.pk}/shot.png")).status_code == 404
