"""Limits on what visitors can make the site mail, and how password-less accounts get in."""

from __future__ import annotations

import pytest
from django.test import Client

from supportal.test import Personas, make_ticket
from supportal.tickets.models import Ticket
from supportal.tickets.tests.test_customer_fixtures import detail, mail_to
from supportal.tickets.tests.test_customer_submit import post_request
from supportal.tickets.views.customer import MAIL_ACTIONS_PER_HOUR

pytestmark = pytest.mark.django_db


class MailRateLimitTests:
    def test_it_stops_a_visitor_address_after_the_hourly_limit(self, client: Client) -> None:
        for index in range(MAIL_ACTIONS_PER_HOUR):
            post_request(client, email=f"v{index}@example.test", name="V", key=f"{index:032d}")
        response = post_request(client, email="one-more@example.test", name="V", subject="Kept")
        html = response.content.decode()
        assert response.status_code == 400
        assert "Too many requests from your network" in html
        assert 'value="Kept"' in html
        assert Ticket.objects.count() == MAIL_ACTIONS_PER_HOUR
        assert not mail_to("one-more@example.test")

    def test_it_does_not_limit_signed_in_customers_submitting(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        for index in range(MAIL_ACTIONS_PER_HOUR + 1):
            assert post_request(client, key=f"{index:032d}").status_code == 302
        assert Ticket.objects.count() == MAIL_ACTIONS_PER_HOUR + 1

    def test_it_limits_adding_people_in_cc(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        for index in range(MAIL_ACTIONS_PER_HOUR):
            client.post(detail(ticket, "cc"), {"email": f"cc{index}@example.test"})
        response = client.post(detail(ticket, "cc"), {"email": "late@example.test"})
        assert "Too many requests from your network" in response.content.decode()
        assert ticket.cc.count() == MAIL_ACTIONS_PER_HOUR


class PasswordlessAccountTests:
    def test_it_lets_a_visitor_set_a_password_through_password_reset(self, client: Client) -> None:
        post_request(client, email="robin@example.test", name="Robin")
        client.post("/en/accounts/password/reset/", {"email": "Robin@example.test"})
        subjects = [mail.subject for mail in mail_to("robin@example.test")]
        assert len(subjects) == 2, subjects
        assert "/accounts/" in mail_to("robin@example.test")[-1].body_text
