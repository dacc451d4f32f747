"""The demo (`supportal demo`, run by `make run`) has a customer with a phone number and a
request with a logged call."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportal.accounts.models import User
from supportal.phone.models import Call
from supportal.tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


class DemoCallTests:
    def test_it_has_a_customer_with_a_number_and_a_call_once(self) -> None:
        call_command("demo", stdout=io.StringIO())
        customer = User.objects.get(email="customer@example.com")
        assert customer.phone == "+442079460958"
        call = Call.objects.get()
        assert call.ticket.requester == customer and call.ticket.submission_key == "demo-request-1"
        assert call.agent is not None and call.agent.email == "agent@example.com"
        assert call.number == customer.phone and call.duration == 205
        call_command("demo", stdout=io.StringIO())
        assert Call.objects.count() == 1
        assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CALL_LOGGED).count() == 1
