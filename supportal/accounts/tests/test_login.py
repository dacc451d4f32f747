from __future__ import annotations

import pytest
from django.test import Client

from supportal.test import PASSWORD, Personas, make_user


@pytest.mark.django_db
class LoginTests:
    def test_it_signs_in_with_the_email_in_any_case(
        self, client: Client, personas: Personas
    ) -> None:
        response = client.post(
            "/en/accounts/login/", {"username": "CASEY@Acme.TEST", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/en/accounts/profile/").status_code == 200

    def test_it_refuses_a_wrong_password_with_a_clear_message(
        self, client: Client, personas: Personas
    ) -> None:
        response = client.post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": "nope-nope-1"}
        )
        html = response.content.decode()
        assert "do not match an account" in html
        assert f'value="{personas.customer.email}"' in html

    def test_it_refuses_an_unverified_account_and_offers_a_new_link(
        self, client: Client, db: None
    ) -> None:
        make_user("new@example.test", verified=False)
        response = client.post(
            "/en/accounts/login/", {"username": "new@example.test", "password": PASSWORD}
        )
        html = response.content.decode()
        assert "Confirm your email address first" in html
        assert "/en/accounts/verify/resend/" in html

    def test_it_refuses_a_deactivated_account(self, client: Client, personas: Personas) -> None:
        personas.customer.is_active = False
        personas.customer.save()
        response = client.post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": PASSWORD}
        )
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_it_pauses_sign_in_after_repeated_failures(
        self, client: Client, personas: Personas
    ) -> None:
        email = personas.customer.email
        for _ in range(5):
            client.post("/ko/accounts/login/", {"username": email, "password": "wrong-wrong-1"})
        # Even the right password is refused now, with a translated message and the wait time.
        response = client.post("/ko/accounts/login/", {"username": email, "password": PASSWORD})
        html = response.content.decode()
        assert "_auth_user_id" not in client.session
        assert "15" in html
        assert "Too many failed sign-in attempts" not in html
        # Another account from the same address is not locked by these five failures.
        response = client.post(
            "/en/accounts/login/", {"username": personas.colleague.email, "password": PASSWORD}
        )
        assert response.status_code == 302

    def test_it_forgets_failures_after_a_successful_sign_in(
        self, client: Client, personas: Personas
    ) -> None:
        email = personas.customer.email
        for _ in range(4):
            client.post("/en/accounts/login/", {"username": email, "password": "wrong-wrong-1"})
        assert (
            client.post(
                "/en/accounts/login/", {"username": email, "password": PASSWORD}
            ).status_code
            == 302
        )
        client.post("/en/accounts/logout/")
        for _ in range(4):
            client.post("/en/accounts/login/", {"username": email, "password": "wrong-wrong-1"})
        assert (
            client.post(
                "/en/accounts/login/", {"username": email, "password": PASSWORD}
            ).status_code
            == 302
        )

    def test_it_follows_a_safe_next_and_ignores_a_foreign_one(
        self, client: Client, personas: Personas
    ) -> None:
        data = {"username": personas.admin.email, "password": PASSWORD}
        response = client.post("/en/accounts/login/?next=/en/manage/outbox/", data)
        assert response["Location"] == "/en/manage/outbox/"
        client.post("/en/accounts/logout/")
        response = client.post("/en/accounts/login/?next=https://evil.test/", data)
        assert response["Location"] == "/en/"

    def test_it_signs_out_with_post_only(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert client.get("/en/accounts/logout/").status_code == 405
        response = client.post("/en/accounts/logout/")
        assert response.status_code == 302
        assert client.get("/en/accounts/profile/").status_code == 302
