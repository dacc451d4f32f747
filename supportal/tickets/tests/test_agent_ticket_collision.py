"""Collision detection: who else is viewing a request, and a warning before sending."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from supportal.test import Personas, make_ticket
from supportal.tickets.models import Message, Ticket
from supportal.tickets.services import ticket_reply

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def presence(client: Client, ticket: Ticket, seen: int | None = None) -> str:
    query = f"?seen={seen}" if seen is not None else ""
    response = client.get(f"/en/agent/requests/{ticket.pk}/presence{query}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


class PresenceTests:
    def test_the_page_polls_for_presence(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        page = client.get(f"/en/agent/requests/{ticket.pk}/").content.decode()
        seen = ticket.messages.get().pk
        assert f'hx-get="/en/agent/requests/{ticket.pk}/presence?seen={seen}&amp;view=open"' in page
        assert 'hx-trigger="load, every 10s"' in page
        assert 'id="presence" class="presence" aria-live="polite"' in page

    def test_it_lists_another_agent_until_their_poll_expires(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)  # in no group: every agent sees it
        jiwoo, kenji = Client(), Client()
        jiwoo.force_login(personas.agent)
        kenji.force_login(personas.other_agent)
        with time_machine.travel(START, tick=False) as clock:
            assert "Also viewing" not in presence(jiwoo, ticket)
            assert "Also viewing: Jiwoo Agent" in presence(kenji, ticket)
            clock.shift(dt.timedelta(seconds=20))
            assert "Also viewing: Kenji Billing" in presence(jiwoo, ticket)
            clock.shift(dt.timedelta(seconds=31))  # Kenji last polled 31 s ago
            assert "Also viewing" not in presence(jiwoo, ticket)

    def test_it_keeps_viewers_in_the_shared_cache(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client = Client()
        client.force_login(personas.other_agent)
        presence(client, ticket)
        stored = caches[settings.SHARED_CACHE].get(f"tickets:presence:{ticket.pk}")
        assert list(stored) == [personas.other_agent.pk]

    def test_it_tells_of_a_new_reply_since_the_page_opened(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        seen = ticket.messages.get().pk
        client.force_login(personas.agent)
        assert "New reply since you opened this request." not in presence(client, ticket, seen)
        ticket_reply(ticket=ticket, author=personas.agent, body="Mine does not count")
        assert "New reply since you opened this request." not in presence(client, ticket, seen)
        ticket_reply(ticket=ticket, author=personas.customer, body="Any news?")
        assert "New reply since you opened this request." in presence(client, ticket, seen)


class SendAnywayTests:
    def test_it_holds_a_reply_when_someone_wrote_meanwhile(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        seen = ticket.messages.get().pk
        ticket_reply(ticket=ticket, author=personas.admin, body="I am on it", public=False)
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/requests/{ticket.pk}/reply",
            {"kind": "public", "body": "My draft answer", "seen": seen, "status": "solved"},
        )
        assert response.status_code == 409
        page = response.content.decode()
        assert "Someone added a message while you were writing" in page
        assert "My draft answer</textarea>" in page
        assert "I am on it" in page
        assert "entry entry-note entry-new" in page
        assert '<input type="hidden" name="confirm" value="1"' in page
        assert "Send anyway</button>" in page
        assert ticket.messages.count() == 2  # nothing sent

        newest = Message.objects.latest("pk").pk
        sent = client.post(
            f"/en/agent/requests/{ticket.pk}/reply",
            {"kind": "public", "body": "My draft answer", "seen": newest, "confirm": "1"},
        )
        assert sent.status_code == 302
        assert Message.objects.latest("pk").body == "My draft answer"

    def test_send_anyway_sends_even_if_yet_another_message_came(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        seen = ticket.messages.get().pk
        ticket_reply(ticket=ticket, author=personas.customer, body="Hello?")
        client.force_login(personas.agent)
        sent = client.post(
            f"/en/agent/requests/{ticket.pk}/reply",
            {"kind": "note", "body": "Noting anyway", "seen": seen, "confirm": "1"},
        )
        assert sent.status_code == 302
        assert Message.objects.latest("pk").body == "Noting anyway"

    def test_it_does_not_warn_about_the_agents_own_messages(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        seen = ticket.messages.get().pk
        ticket_reply(ticket=ticket, author=personas.agent, body="From another tab")
        client.force_login(personas.agent)
        sent = client.post(
            f"/en/agent/requests/{ticket.pk}/reply",
            {"kind": "public", "body": "Second", "seen": seen},
        )
        assert sent.status_code == 302
