"""The mail log for admins: filters, keyset pages, one message, its original, process again."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.settings_services import mailbox_save
from supportal.test import Personas, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/mail"


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


# --- Helpers shared by the mail view tests -------------------------------------------------------


def pipe_mailbox(address: str = "help@acme.test", **fields: Any) -> Mailbox:
    values: dict[str, Any] = {"address": address, "delivery": Mailbox.Delivery.PIPE}
    values.update(fields)
    return mailbox_save(mailbox=None, password=None, **values)


def raw_message(
    subject: str = "Printer on fire",
    sender: str = "casey@acme.test",
    message_id: str = "m1@acme.test",
    to: str = "help@acme.test",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Casey <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("It is smoking.")
    return message.as_bytes()


def ingest(mailbox: Mailbox | None, **message: Any) -> InboundEmail:
    """A message received through the pipe, the way `ingest_email` hands it over."""
    from supportal.mail.services import mail_ingest

    return mail_ingest(raw=raw_message(**message), mailbox=mailbox, source=InboundEmail.Source.PIPE)


def spam(mailbox: Mailbox | None, **message: Any) -> InboundEmail:
    headers = {"X-Spam-Flag": "YES", "X-Spam-Status": "Yes, score=9.1"}
    inbound = ingest(mailbox, headers=headers, **message)
    assert inbound.fate == InboundEmail.Fate.SPAM, inbound.reason
    return inbound


def with_fate(inbound: InboundEmail, fate: str, reason: str, **fields: Any) -> InboundEmail:
    """Puts a stored message in a state mail cannot easily be made to reach (failed, held)."""
    InboundEmail.objects.filter(pk=inbound.pk).update(fate=fate, reason=reason, **fields)
    inbound.refresh_from_db()
    return inbound


# --- Tests ---------------------------------------------------------------------------------------


class MailLogTests:
    def test_it_lists_messages_newest_first_with_their_fate_in_words(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = pipe_mailbox()
        created = ingest(mailbox, subject="First", message_id="a@acme.test")
        ignored = ingest(
            mailbox,
            subject="Out of office",
            message_id="b@acme.test",
            headers={"Auto-Submitted": "auto-replied"},
        )
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/log/").content.decode()
        assert page.index("Out of office") < page.index("First")
        assert "Created a request" in page and "A new request was made from it." in page
        assert ignored.get_fate_display() in page
        assert f'href="/en/agent/requests/{created.ticket_id}/">#{created.ticket_id}</a>' in page
        assert f'href="{BASE}/log/{created.pk}"' in page
        assert "<time datetime=" in page

    def test_it_filters_by_fate_mailbox_and_sender(
        self, client: Client, personas: Personas
    ) -> None:
        help_box = pipe_mailbox()
        sales_box = pipe_mailbox("sales@acme.test")
        ingest(help_box, subject="Help one", message_id="1@x.test")
        ingest(sales_box, subject="Sales one", message_id="2@x.test", to="sales@acme.test")
        ingest(help_box, subject="From Wang", message_id="3@x.test", sender="wang@globex.test")
        spam(help_box, subject="Cheap pills", message_id="4@x.test")
        client.force_login(personas.admin)

        def subjects(query: str) -> set[str]:
            page = client.get(f"{BASE}/log/?{query}").content.decode()
            return {s for s in ("Help one", "Sales one", "From Wang", "Cheap pills") if s in page}

        assert subjects("fate=spam") == {"Cheap pills"}
        assert subjects(f"mailbox={sales_box.pk}") == {"Sales one"}
        assert subjects("sender=Wang@Globex.test") == {"From Wang"}
        assert subjects(f"fate=created&mailbox={help_box.pk}") == {"Help one", "From Wang"}
        assert subjects("fate=created&sender=nobody@x.test") == set()
        # A bad value is shown with its error and not applied.
        response = client.get(f"{BASE}/log/?sender=not-an-email")
        assert "Enter a valid email address." in response.content.decode()
        assert subjects("mailbox=999999") == {"Help one", "Sales one", "From Wang", "Cheap pills"}

    def test_it_pages_with_a_cursor_that_keeps_the_filters(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = pipe_mailbox()
        first = ingest(mailbox, message_id="seed@x.test")
        now = timezone.now()
        rows = [
            InboundEmail(
                mailbox=mailbox,
                source=InboundEmail.Source.PIPE,
                dedupe_key=f"k{number}",
                raw=first.raw.name,
                subject=f"Bulk {number:03d}",
                sender="bulk@x.test",
                fate=InboundEmail.Fate.IGNORED,
                reason="bulk",
                received_at=now - timedelta(minutes=number),
            )
            for number in range(1, 56)
        ]
        InboundEmail.objects.bulk_create(rows)
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/log/?fate=ignored").content.decode()
        assert "Bulk 001" in page and "Bulk 050" in page and "Bulk 051" not in page
        older = page[page.index('rel="next"') - 300 : page.index('rel="next"')]
        link = older[older.index('href="') + 6 : older.index('"', older.index('href="') + 6)]
        assert "fate=ignored" in link and "after=" in link
        second = client.get(link.replace("&amp;", "&")).content.decode()
        assert "Bulk 051" in second and "Bulk 055" in second and "Bulk 050" not in second
        assert 'rel="prev"' in second and 'rel="next"' not in second

    def test_it_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        mailbox = pipe_mailbox()
        ingest(mailbox, message_id="one@x.test")
        client.force_login(personas.admin)
        client.get(f"{BASE}/log/")
        # The session, the user, the support addresses for the filter, one page of rows.
        with django_assert_num_queries(session_queries() + 3):
            assert client.get(f"{BASE}/log/").status_code == 200
        other = pipe_mailbox("sales@acme.test")
        for number in range(6):
            ingest(other if number % 2 else mailbox, message_id=f"{number}@x.test")
        with django_assert_num_queries(session_queries() + 3):
            page = client.get(f"{BASE}/log/?fate=created").content.decode()
        assert "sales@acme.test" in page

    def test_it_refuses_other_methods_and_roles(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/log/").status_code == 405
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get(f"{BASE}/log/").status_code == 403


class MailLogDetailTests:
    def test_it_shows_everything_about_one_message(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = ingest(pipe_mailbox(), message_id="detail@acme.test")
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/log/{inbound.pk}").content.decode()
        assert "Printer on fire" in page and "casey@acme.test" in page
        assert "detail@acme.test" in page  # the Message-ID
        assert "help@acme.test" in page and "Created a request" in page
        assert f"#{inbound.ticket_id}" in page
        assert f'href="{BASE}/log/{inbound.pk}/original.eml"' in page
        assert "Process again" not in page  # a request was made: nothing to process again

    def test_it_shows_the_detail_sentence_and_offers_processing_again(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = with_fate(
            ingest(pipe_mailbox()),
            InboundEmail.Fate.FAILED,
            "error",
            detail="KeyError: 'charset'",
            ticket=None,
            ticket_message=None,
        )
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/log/{inbound.pk}").content.decode()
        assert "Processing failed; it can be processed again after a fix." in page
        assert "KeyError: &#x27;charset&#x27;" in page
        assert f'action="{BASE}/log/{inbound.pk}/reprocess"' in page

    def test_it_refuses_other_methods_roles_and_unknown_rows(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = ingest(pipe_mailbox())
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/log/{inbound.pk}").status_code == 405
        assert client.get(f"{BASE}/log/{inbound.pk + 100}").status_code == 404
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get(f"{BASE}/log/{inbound.pk}").status_code == 403


class OriginalDownloadTests:
    def test_it_downloads_the_original_as_an_attachment(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = ingest(pipe_mailbox(), subject='Evil "name"/../x.html')
        client.force_login(personas.admin)
        response = client.get(f"{BASE}/log/{inbound.pk}/original.eml")
        assert response.status_code == 200
        assert response["Content-Type"] == "message/rfc822"
        assert response["Content-Disposition"] == (
            f'attachment; filename="message-{inbound.pk}.eml"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        with inbound.raw.open("rb") as handle:
            assert b"".join(response.streaming_content) == handle.read()

    def test_a_missing_file_is_a_404(self, client: Client, personas: Personas) -> None:
        inbound = ingest(pipe_mailbox())
        inbound.raw.storage.delete(inbound.raw.name)
        client.force_login(personas.admin)
        assert client.get(f"{BASE}/log/{inbound.pk}/original.eml").status_code == 404

    def test_it_is_for_admins_only(self, client: Client, personas: Personas) -> None:
        inbound = ingest(pipe_mailbox())
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/log/{inbound.pk}/original.eml").status_code == 405
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get(f"{BASE}/log/{inbound.pk}/original.eml").status_code == 403
        client.logout()
        assert client.get(f"{BASE}/log/{inbound.pk}/original.eml").status_code == 302


class ReprocessTests:
    def test_it_processes_a_held_message_again_and_says_the_new_fate(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.MAIL_SENDER_HOURLY_LIMIT = 1  # type: ignore[attr-defined]
        mailbox = pipe_mailbox()
        ingest(mailbox, subject="One", message_id="one@x.test")
        inbound = ingest(mailbox, subject="Two", message_id="two@x.test")
        assert (inbound.fate, inbound.reason) == (InboundEmail.Fate.HELD, "rate_limited")
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/log/{inbound.pk}").content.decode()
        assert "held until an admin processes it" in page
        response = client.post(f"{BASE}/log/{inbound.pk}/reprocess")
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/log/{inbound.pk}"
        inbound.refresh_from_db()
        assert inbound.fate == InboundEmail.Fate.CREATED and inbound.ticket_id
        page = client.get(response["Location"]).content.decode()
        assert f"Processed again: Created a request (request #{inbound.ticket_id})." in page

    def test_it_leaves_a_message_that_made_its_request_alone(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = ingest(pipe_mailbox())
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/log/{inbound.pk}/reprocess", follow=True)
        assert "Only failed, rejected or held messages can be processed again." in (
            response.content.decode()
        )

    def test_it_refuses_other_methods_and_roles(self, client: Client, personas: Personas) -> None:
        inbound = with_fate(ingest(pipe_mailbox()), InboundEmail.Fate.FAILED, "error")
        client.force_login(personas.admin)
        assert client.get(f"{BASE}/log/{inbound.pk}/reprocess").status_code == 405
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.post(f"{BASE}/log/{inbound.pk}/reprocess").status_code == 403
        inbound.refresh_from_db()
        assert inbound.fate == InboundEmail.Fate.FAILED
