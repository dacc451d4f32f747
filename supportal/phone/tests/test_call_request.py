"""A new request from a call, in the agent workspace: the caller found by a number written
another way, or by the email given for a number nobody has."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from supportal.accounts.models import User
from supportal.phone.models import Call
from supportal.test import Personas
from supportal.tickets.models import Channel, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = "/en/agent/calls/new"


def form(**overrides: str) -> dict[str, str]:
    data = {
        "number": "+82 10-1234-5678",
        "name": "",
        "email": "",
        "subject": "Question about my invoice",
        "direction": "inbound",
        "outcome": "answered",
        "duration": "4:10",
        "notes": "Wants the March invoice resent. INTERNAL-CALL-NOTE",
    }
    data.update(overrides)
    return data


@pytest.fixture
def known(personas: Personas) -> User:
    personas.customer.phone = "+821012345678"
    personas.customer.save(update_fields=["phone"])
    return personas.customer


class NewRequestFromCallTests:
    def test_it_shows_the_form(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        response = client.get(URL)
        assert response.status_code == 200
        page = response.content.decode()
        assert "New request from a call" in page
        assert 'type="tel"' in page

    def test_the_inbox_links_to_it(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        assert f'href="{URL}"' in client.get("/en/agent/").content.decode()

    @pytest.mark.parametrize(
        "written", ["+82 10-1234-5678", "+821012345678", "0082 (10) 1234.5678"]
    )
    def test_it_finds_the_customer_by_a_number_written_differently(
        self, client: Client, personas: Personas, known: User, written: str
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(URL, form(number=written))
        assert response.status_code == 302
        ticket = Ticket.objects.get(subject="Question about my invoice")
        assert response["Location"] == f"/en/agent/requests/{ticket.pk}/?view=open"
        assert ticket.requester == known and ticket.channel == Channel.PHONE
        assert ticket.status == Status.NEW
        call = ticket.calls.get()
        assert (call.direction, call.duration, call.agent) == ("inbound", 250, personas.agent)
        assert call.notes.endswith("INTERNAL-CALL-NOTE")
        first = ticket.messages.get()
        assert first.public and "Phone call from +821012345678 on " in first.body
        assert "INTERNAL-CALL-NOTE" not in first.body
        assert TicketEvent.objects.filter(ticket=ticket, kind="call_logged").count() == 1
        assert User.objects.filter(phone="+821012345678").count() == 1

    @pytest.mark.parametrize(
        ("stored", "written"),
        [
            ("01012345678", "+82 10-1234-5678"),  # saved before PHONE_REGION was set
            ("+821012345678", "010 1234 5678"),
        ],
    )
    def test_with_a_region_it_finds_the_customer_however_either_number_was_written(
        self,
        client: Client,
        personas: Personas,
        settings: Any,
        stored: str,
        written: str,
    ) -> None:
        personas.customer.phone = stored
        personas.customer.save(update_fields=["phone"])
        settings.PHONE_REGION = "KR"
        people = User.objects.count()
        client.force_login(personas.agent)
        response = client.post(URL, form(number=written))
        assert response.status_code == 302, response.content.decode()
        ticket = Ticket.objects.get(subject="Question about my invoice")
        assert ticket.requester == personas.customer
        assert ticket.calls.get().number == "+821012345678"
        assert User.objects.count() == people

    def test_with_a_region_it_refuses_a_number_impossible_there(
        self, client: Client, personas: Personas, known: User, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        client.force_login(personas.agent)
        response = client.post(URL, form(number="123-4567"))
        assert response.status_code == 400
        page = response.content.decode()
        assert "Enter a phone number" in page and 'value="123-4567"' in page
        assert not Ticket.objects.exists()

    def test_it_asks_for_an_email_for_a_number_nobody_has(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(URL, form(number="+44 20 7946 0002"))
        assert response.status_code == 400
        page = response.content.decode()
        assert "Nobody has this number yet" in page
        assert 'value="+44 20 7946 0002"' in page  # what was typed, kept
        assert not Ticket.objects.exists() and not Call.objects.exists()

    def test_it_makes_a_customer_for_a_new_email_with_the_number(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        data = form(number="+44 20 7946 0002", email="New.Caller@Example.com", name="New Caller")
        assert client.post(URL, data).status_code == 302
        caller = User.objects.get(email="new.caller@example.com")
        assert (caller.name, caller.phone) == ("New Caller", "+442079460002")
        assert caller.is_customer
        assert Ticket.objects.get().requester == caller

    def test_it_gives_the_number_to_an_existing_account_picked_by_email(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        data = form(number="+44 20 7946 0002", email=personas.colleague.email)
        assert client.post(URL, data).status_code == 302
        personas.colleague.refresh_from_db()
        assert personas.colleague.phone == "+442079460002"
        assert Ticket.objects.get().requester == personas.colleague

    def test_it_names_the_request_after_the_number_without_a_subject(
        self, client: Client, personas: Personas, known: User
    ) -> None:
        client.force_login(personas.agent)
        client.post(URL, form(subject="", direction="outbound"))
        assert Ticket.objects.get().subject == "Call to +821012345678"

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("number", "not a number", "Enter a phone number"),
            ("duration", "ten minutes", "Enter the duration"),
            ("outcome", "exploded", "Select a valid choice"),
            ("email", "not-an-email", "Enter a valid email address"),
        ],
    )
    def test_it_keeps_the_form_with_its_errors(
        self, client: Client, personas: Personas, known: User, field: str, value: str, message: str
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(URL, form(**{field: value}))
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page and "Question about my invoice" in page
        assert not Ticket.objects.exists()

    @pytest.mark.parametrize("persona", ["customer", "outsider"])
    def test_it_refuses_customers(
        self, client: Client, personas: Personas, known: User, persona: str
    ) -> None:
        client.force_login(getattr(personas, persona))
        assert client.get(URL).status_code == 403
        assert client.post(URL, form()).status_code == 403
        assert not Ticket.objects.exists()

    def test_it_refuses_the_wrong_method(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        assert client.put(URL).status_code == 405

    def test_it_asks_visitors_to_sign_in(self, client: Client, db: Any) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")
