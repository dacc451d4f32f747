"""Logging a call on a request: the service, the agent's form (plain and htmx), the timeline,
and what customers never see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from supportal.phone.models import Call, Direction, Outcome
from supportal.phone.services import call_log
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Channel, Ticket, TicketEvent
from supportal.tickets.services import ticket_merge, ticket_reply

pytestmark = pytest.mark.django_db


def url(ticket: Ticket, action: str = "") -> str:
    return f"/en/agent/requests/{ticket.pk}/{action}"


def call_data(**overrides: str) -> dict[str, str]:
    data = {
        "direction": "outbound",
        "number": "+82 10-1234-5678",
        "duration": "3:25",
        "outcome": "answered",
        "notes": "Talked through the refund; VIP-ONLY-NOTE",
    }
    data.update(overrides)
    return data


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    personas.customer.phone = "+821012345678"
    personas.customer.save(update_fields=["phone"])
    return make_ticket(personas.customer, "Refund please", group=personas.support)


class CallLogServiceTests:
    def test_it_logs_the_call_with_its_event_in_one_go(
        self, personas: Personas, ticket: Ticket
    ) -> None:
        before = ticket.updated_at
        call = call_log(
            ticket=ticket,
            actor=personas.agent,
            direction=Direction.OUTBOUND,
            number="+82 10 1234 5678",
            outcome=Outcome.ANSWERED,
            duration=205,
            notes="  Spoke to Casey.  ",
        )
        assert (call.number, call.duration, call.notes) == ("+821012345678", 205, "Spoke to Casey.")
        assert call.agent == personas.agent
        assert call.started_at <= timezone.now() - timedelta(seconds=205)
        event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.CALL_LOGGED)
        assert (event.actor, event.channel, event.field) == (personas.agent, Channel.PHONE, "call")
        assert event.new_value == str(call.pk)
        ticket.refresh_from_db()
        assert ticket.updated_at > before

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("number", "not a number"),
            ("direction", "sideways"),
            ("outcome", "exploded"),
            ("duration", -1),
            ("duration", 24 * 3600 + 1),
            ("recording_url", "javascript:alert(1)"),
            ("recording_url", "data:text/html,<script>alert(1)</script>"),
            ("recording_url", "ftp://files.example.com/call.mp3"),
        ],
    )
    def test_it_refuses_bad_details_and_stores_nothing(
        self, personas: Personas, ticket: Ticket, field: str, value: object
    ) -> None:
        details: dict[str, object] = {
            "direction": Direction.INBOUND,
            "number": "+821012345678",
            "outcome": Outcome.ANSWERED,
            "duration": 10,
            "recording_url": "",
        }
        details[field] = value
        with pytest.raises(ValidationError):
            call_log(ticket=ticket, actor=personas.agent, **details)  # type: ignore[arg-type]
        assert not Call.objects.exists()
        assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.CALL_LOGGED).exists()

    def test_it_moves_calls_along_when_requests_are_merged(
        self, personas: Personas, ticket: Ticket
    ) -> None:
        other = make_ticket(personas.customer, "Refund again", group=personas.support)
        call = call_log(
            ticket=other,
            actor=personas.agent,
            direction=Direction.INBOUND,
            number="+821012345678",
            outcome=Outcome.ANSWERED,
        )
        ticket_merge(source=other, target=ticket, actor=personas.agent)
        call.refresh_from_db()
        assert call.ticket_id == ticket.pk


class LogCallViewTests:
    def test_it_logs_a_call_and_goes_back_to_the_request(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(url(ticket, "call?view=mine"), call_data())
        assert response.status_code == 302
        assert response["Location"] == f"/en/agent/requests/{ticket.pk}/?view=mine"
        call = Call.objects.get(ticket=ticket)
        assert (call.direction, call.duration, call.outcome) == ("outbound", 205, "answered")
        assert call.number == "+821012345678" and call.agent == personas.agent
        page = client.get(response["Location"]).content.decode()
        assert "The call has been logged." in page

    def test_it_takes_the_duration_in_seconds(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        client.post(url(ticket, "call"), call_data(duration="95"))
        assert Call.objects.get().duration == 95

    def test_it_keeps_the_form_with_its_errors(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        data = call_data(number="call me maybe", duration="3:75")
        response = client.post(url(ticket, "call"), data)
        assert response.status_code == 400
        page = response.content.decode()
        assert 'value="call me maybe"' in page
        assert "Enter a phone number" in page
        assert "Enter the duration as minutes:seconds" in page
        assert "Talked through the refund" in page  # the notes typed are kept
        assert not Call.objects.exists()

    def test_it_answers_htmx_with_the_form_and_the_conversation(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(url(ticket, "call"), call_data(), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        fragment = response.content.decode()
        assert fragment.startswith('<section class="call-log" id="call-log"')
        assert "The call has been logged." in fragment
        assert 'id="conversation" aria-labelledby="conversation-title" hx-swap-oob="true"' in (
            fragment
        )
        assert "VIP-ONLY-NOTE" in fragment
        assert "<html" not in fragment

    def test_it_answers_htmx_errors_in_the_fragment(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(url(ticket, "call"), call_data(number="+"), HTTP_HX_REQUEST="true")
        # htmx swaps only successful answers: the errors come with a 200.
        assert response.status_code == 200
        fragment = response.content.decode()
        assert "Enter a phone number" in fragment and "hx-swap-oob" not in fragment
        assert not Call.objects.exists()

    def test_it_refuses_the_wrong_method(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        assert client.get(url(ticket, "call")).status_code == 405

    @pytest.mark.parametrize("persona", ["customer", "colleague", "outsider"])
    def test_it_hides_the_form_from_customers(
        self, client: Client, personas: Personas, ticket: Ticket, persona: str
    ) -> None:
        # Customers, the requester included, get the 404 of every agent URL naming a request.
        client.force_login(getattr(personas, persona))
        assert client.post(url(ticket, "call"), call_data()).status_code == 404
        assert not Call.objects.exists()

    def test_it_hides_another_groups_request_from_an_agent(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.other_agent)
        assert client.post(url(ticket, "call"), call_data()).status_code == 404
        assert not Call.objects.exists()

    def test_it_asks_visitors_to_sign_in(self, client: Client, ticket: Ticket) -> None:
        response = client.post(url(ticket, "call"), call_data())
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")


class TimelineTests:
    def test_it_shows_calls_among_messages_in_order(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        call_log(
            ticket=ticket,
            actor=personas.agent,
            direction=Direction.INBOUND,
            number="+821012345678",
            outcome=Outcome.VOICEMAIL,
            duration=42,
            started_at=timezone.now(),
            notes="Left a voicemail about the refund",
            recording_url="https://recordings.example.net/r1.mp3",
        )
        ticket_reply(ticket=ticket, author=personas.agent, body="Calling you back tomorrow.")
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        first = page.index("The sign-in page says my password is wrong.")
        call = page.index('class="entry entry-call"')
        reply = page.index("Calling you back tomorrow.")
        assert first < call < reply
        entry = page[call : page.index("</article>", call)]
        assert "Inbound call" in entry and "Phone call" in entry
        assert '<a href="tel:+821012345678" class="phone-link">+821012345678</a>' in entry
        assert "0:42" in entry and "Voicemail" in entry
        assert "Left a voicemail about the refund" in entry
        assert 'href="https://recordings.example.net/r1.mp3"' in entry

    def test_it_shows_the_requesters_number_as_a_tel_link_and_prefills_the_form(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        panel = page[page.index('id="requester-title"') :]
        assert '<a href="tel:+821012345678" class="phone-link">+821012345678</a>' in panel
        form = page[page.index('id="call-log"') :]
        assert 'name="number" value="+821012345678"' in form

    def test_customers_never_see_calls(
        self, client: Client, personas: Personas, ticket: Ticket
    ) -> None:
        call_log(
            ticket=ticket,
            actor=personas.agent,
            direction=Direction.OUTBOUND,
            number="+821012345678",
            outcome=Outcome.ANSWERED,
            notes="VIP-ONLY-NOTE",
            recording_url="https://recordings.example.net/secret.mp3",
        )
        for persona in ("customer", "colleague"):  # the requester, and a follower by org
            client.force_login(getattr(personas, persona))
            response = client.get(f"/en/requests/{ticket.pk}/")
            assert response.status_code == 200
            page = response.content.decode()
            assert "Refund please" in page
            assert "VIP-ONLY-NOTE" not in page
            assert "secret.mp3" not in page
            assert "entry-call" not in page and "Phone call" not in page
