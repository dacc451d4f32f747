"""The spam folder for agents: what the mail server marked as spam, and "Not spam"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from supportal.mail.models import InboundEmail
from supportal.mail.tests.test_mail_log_views import ingest, pipe_mailbox, spam
from supportal.test import Personas, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/mail/spam"


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


class SpamListTests:
    def test_an_agent_sees_the_spam_of_every_address_newest_first(
        self, client: Client, personas: Personas
    ) -> None:
        # Spam has made no request, so no group limits it: Jiwoo (Support) sees Billing's too.
        spam(pipe_mailbox(group=personas.support), subject="Cheap pills", message_id="1@x.test")
        spam(
            pipe_mailbox("billing@acme.test", group=personas.billing),
            subject="You won",
            message_id="2@x.test",
            to="billing@acme.test",
        )
        ingest(None, subject="Real question", message_id="3@x.test")
        client.force_login(personas.agent)
        page = client.get(f"{BASE}/").content.decode()
        assert page.index("You won") < page.index("Cheap pills")
        assert "Real question" not in page
        assert page.count(">Not spam</button>") == 2
        assert f'<a href="{BASE}/" aria-current="page">Spam</a>' in page
        assert "Support addresses" not in page  # the admin entries of the settings menu

    def test_it_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        mailbox = pipe_mailbox()
        spam(mailbox, message_id="1@x.test")
        client.force_login(personas.agent)
        client.get(f"{BASE}/")
        with django_assert_num_queries(session_queries() + 2):
            assert client.get(f"{BASE}/").status_code == 200
        for number in range(2, 7):
            spam(mailbox, message_id=f"{number}@x.test", sender=f"s{number}@spam.test")
        with django_assert_num_queries(session_queries() + 2):
            assert client.get(f"{BASE}/").content.decode().count(">Not spam</button>") == 6

    def test_it_refuses_other_methods_and_customers(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        assert client.post(f"{BASE}/").status_code == 405
        client.force_login(personas.customer)
        assert client.get(f"{BASE}/").status_code == 403
        client.logout()
        assert client.get(f"{BASE}/").status_code == 302


class SpamReleaseTests:
    def test_not_spam_makes_the_request_and_says_which(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = spam(pipe_mailbox(group=personas.support))
        client.force_login(personas.agent)
        response = client.post(f"{BASE}/{inbound.pk}/release")
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/"
        inbound.refresh_from_db()
        assert inbound.fate == InboundEmail.Fate.CREATED
        assert inbound.ticket is not None and inbound.ticket.group == personas.support
        page = client.get(response["Location"]).content.decode()
        assert f"Moved out of spam: it became request #{inbound.ticket_id}." in page
        assert "Not spam</button>" not in page

    def test_a_second_click_changes_nothing(self, client: Client, personas: Personas) -> None:
        inbound = spam(pipe_mailbox())
        client.force_login(personas.agent)
        client.post(f"{BASE}/{inbound.pk}/release")
        response = client.post(f"{BASE}/{inbound.pk}/release", follow=True)
        assert "That message is no longer marked as spam." in response.content.decode()
        assert InboundEmail.objects.filter(fate=InboundEmail.Fate.CREATED).count() == 1

    def test_it_refuses_other_methods_customers_and_unknown_rows(
        self, client: Client, personas: Personas
    ) -> None:
        inbound = spam(pipe_mailbox())
        client.force_login(personas.agent)
        assert client.get(f"{BASE}/{inbound.pk}/release").status_code == 405
        assert client.post(f"{BASE}/{inbound.pk + 100}/release").status_code == 404
        client.force_login(personas.customer)
        assert client.post(f"{BASE}/{inbound.pk}/release").status_code == 403
        inbound.refresh_from_db()
        assert inbound.fate == InboundEmail.Fate.SPAM
