from __future__ import annotations

import pytest
from django.test import Client

from supportal.mail.models import BouncingAddress
from supportal.test import Personas


@pytest.mark.django_db
class ProfileTests:
    def test_it_saves_name_language_and_time_zone(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        response = client.post(
            "/en/accounts/profile/",
            {"name": "Casey K.", "language": "ko", "time_zone": "Asia/Seoul"},
        )
        # The page comes back in the newly chosen language.
        assert response["Location"] == "/ko/accounts/profile/"
        assert response.cookies["django_language"].value == "ko"
        personas.customer.refresh_from_db()
        assert (
            personas.customer.name,
            personas.customer.language,
            personas.customer.time_zone,
        ) == (
            "Casey K.",
            "ko",
            "Asia/Seoul",
        )
        html = client.get("/ko/accounts/profile/").content.decode()
        assert "Your profile has been saved." not in html
        assert 'value="Asia/Seoul" selected' in html

    def test_it_refuses_an_unknown_time_zone_and_keeps_the_input(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = client.post(
            "/en/accounts/profile/",
            {"name": "Casey K.", "language": "en", "time_zone": "Mars/Base"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Select a valid choice." in html
        assert 'value="Casey K."' in html
        personas.customer.refresh_from_db()
        assert personas.customer.name == "Casey Customer"

    def test_it_asks_visitors_to_sign_in(self, client: Client, db: None) -> None:
        response = client.get("/en/accounts/profile/")
        assert response["Location"] == "/en/accounts/login/?next=/en/accounts/profile/"

    def test_it_tells_the_person_when_our_mail_to_them_bounces(
        self, client: Client, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(
            email=personas.customer.email, permanent=True, reason="550 5.1.1 User unknown"
        )
        client.force_login(personas.customer)
        html = client.get("/en/accounts/profile/").content.decode()
        assert "Our emails to you are bouncing" in html
        assert f"Mail to {personas.customer.email} bounces, so we have stopped sending" in html
        assert "The mail server said: 550 5.1.1 User unknown" in html

    def test_it_tells_the_person_when_our_mail_to_them_was_delayed(
        self, client: Client, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(email=personas.customer.email, permanent=False)
        client.force_login(personas.customer)
        html = client.get("/en/accounts/profile/").content.decode()
        assert "Our emails to you were delayed" in html
        assert "The mail server said" not in html

    def test_it_says_nothing_about_someone_elses_bounces(
        self, client: Client, personas: Personas
    ) -> None:
        BouncingAddress.objects.create(email=personas.colleague.email, permanent=True)
        client.force_login(personas.customer)
        html = client.get("/en/accounts/profile/").content.decode()
        assert "Our emails to you" not in html

    def test_agents_may_turn_the_keyboard_shortcuts_off(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        html = client.get("/en/accounts/profile/").content.decode()
        assert 'name="keyboard_shortcuts"' in html and "checked" in html
        assert '<meta name="supportal-shortcuts"' not in client.get("/en/agent/").content.decode()
        client.post(
            "/en/accounts/profile/",
            {"name": "Alex Agent", "language": "en", "time_zone": "UTC"},  # the box unticked
        )
        personas.agent.refresh_from_db()
        assert personas.agent.keyboard_shortcuts is False
        inbox = client.get("/en/agent/").content.decode()
        assert '<meta name="supportal-shortcuts" content="off">' in inbox
        client.post(
            "/en/accounts/profile/",
            {
                "name": "Alex Agent",
                "language": "en",
                "time_zone": "UTC",
                "keyboard_shortcuts": "on",
            },
        )
        personas.agent.refresh_from_db()
        assert personas.agent.keyboard_shortcuts is True

    def test_customers_have_no_shortcut_option(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert (
            'name="keyboard_shortcuts"' not in client.get("/en/accounts/profile/").content.decode()
        )
        client.post(
            "/en/accounts/profile/",
            {"name": "Casey", "language": "en", "time_zone": "UTC"},
        )
        personas.customer.refresh_from_db()
        assert personas.customer.keyboard_shortcuts is True  # unchanged
