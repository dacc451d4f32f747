from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client

from supportal.audit.models import AuditEntry
from supportal.test import PASSWORD, Personas

URL = "/en/accounts/reauth/"
STARTED = 1893488400  # 2030-01-01 09:00 UTC


def sign_in(client: Client, email: str) -> None:
    response = client.post("/en/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
class ReauthTests:
    def test_it_shows_a_password_form(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        response = client.get(URL, {"next": "/en/accounts/security/"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Confirm it’s you" in html
        assert 'name="password"' in html
        assert 'value="/en/accounts/security/"' in html

    def test_it_sends_a_visitor_to_sign_in(self, client: Client, db: None) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert client.put(URL).status_code == 405

    def test_it_marks_the_session_fresh_and_goes_back(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(URL, {"password": PASSWORD, "next": "/en/accounts/profile/"})
        assert response.status_code == 302
        assert response["Location"] == "/en/accounts/profile/"
        assert isinstance(client.session["auth_fresh_at"], int)
        entry = AuditEntry.objects.get(action="auth.reauth")
        assert entry.actor == personas.agent

    def test_it_ignores_a_next_address_on_another_site(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = client.post(URL, {"password": PASSWORD, "next": "https://evil.test/x"})
        assert response["Location"] == "/en/accounts/security/"

    def test_it_refuses_a_wrong_password_with_a_clear_message(
        self, client: Client, personas: Personas
    ) -> None:
        with time_machine.travel("2030-01-01 09:00Z", tick=False) as clock:
            client.force_login(personas.customer)  # a sign-in counts as fresh
            clock.shift(11 * 60)
            response = client.post(URL, {"password": "wrong-wrong-1"})
        html = response.content.decode()
        assert response.status_code == 200
        assert client.session["auth_fresh_at"] == STARTED
        assert "That password is not right" in html
        assert "field-invalid" in html

    def test_it_counts_failures_in_the_sign_in_throttle(
        self, client: Client, personas: Personas
    ) -> None:
        with time_machine.travel("2030-01-01 09:00Z", tick=False) as clock:
            client.force_login(personas.customer)
            clock.shift(11 * 60)
            for _ in range(5):
                client.post(URL, {"password": "wrong-wrong-1"})
            response = client.post(URL, {"password": PASSWORD})
        assert response.status_code == 200
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert client.session["auth_fresh_at"] == STARTED

    def test_it_counts_a_sign_in_as_fresh(self, client: Client, personas: Personas) -> None:
        with time_machine.travel("2030-01-01 09:00Z", tick=False):
            sign_in(client, personas.customer.email)
            assert client.session["auth_fresh_at"] == int(time.time())
