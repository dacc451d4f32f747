from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from supportal.accounts.models import User
from supportal.core.models import OutboundEmail
from supportal.test import make_user

GOOD = {
    "name": "Hana Lee",
    "email": "Hana.Lee@Example.test",
    "password1": "violet-harbour-1987",
    "password2": "violet-harbour-1987",
}


def verification_path(email: OutboundEmail) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+/accounts/verify/\S+/)", email.body_text)
    assert match, email.body_text
    return match.group(1)


@pytest.mark.django_db
class SignupTests:
    def test_it_creates_an_unverified_customer_and_mails_a_link_in_their_language(
        self, client: Client
    ) -> None:
        client.cookies["tz"] = "Asia/Seoul"
        response = client.post("/ko/accounts/signup/", GOOD)
        assert response.status_code == 302
        assert response["Location"] == "/ko/accounts/signup/done/"
        user = User.objects.get()
        assert user.email == "hana.lee@example.test"
        assert (user.role, user.language, user.time_zone) == ("customer", "ko", "Asia/Seoul")
        assert not user.email_verified
        assert user.password.startswith("md5$")  # test hasher; production uses argon2
        email = OutboundEmail.objects.get()
        assert email.recipients == ["hana.lee@example.test"]
        assert verification_path(email).startswith("/ko/accounts/verify/")
        assert "Confirm your email address" not in email.subject  # Korean subject
        done = client.get(response["Location"]).content.decode()
        assert "hana.lee@example.test" in done

    def test_it_makes_no_second_account_for_an_email_already_used_in_any_case(
        self, client: Client
    ) -> None:
        # The page does not say so (test_enumeration.py); the owner gets a note instead.
        make_user("hana.lee@example.test")
        response = client.post("/en/accounts/signup/", GOOD)
        assert response.status_code == 302
        assert "already exists" not in client.get(response["Location"]).content.decode()
        assert User.objects.count() == 1
        assert OutboundEmail.objects.get().recipients == ["hana.lee@example.test"]

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("short-1", "This password is too short. It must contain at least 10 characters."),
            ("password123", "This password is too common."),
            ("hana.lee.example", "The password is too similar to the"),
        ],
    )
    def test_it_applies_the_password_policy(
        self, client: Client, password: str, message: str
    ) -> None:
        data = {**GOOD, "password1": password, "password2": password}
        html = client.post("/en/accounts/signup/", data).content.decode().replace("&#x27;", "'")
        assert message in html
        assert 'value="Hana.Lee@Example.test"' in html
        assert not User.objects.exists()

    def test_it_translates_field_errors_and_keeps_input(self, client: Client) -> None:
        data = {**GOOD, "email": "not-an-email", "password2": "different-thing-42"}
        html = client.post("/ja/accounts/signup/", data).content.decode()
        assert 'value="not-an-email"' in html
        assert 'aria-invalid="true"' in html
        assert "Enter a valid email address." not in html
        assert "有効なメールアドレスを入力してください" in html

    def test_it_does_not_500_on_a_missing_field(self, client: Client) -> None:
        response = client.post("/en/accounts/signup/", {"name": "x"})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()


@pytest.mark.django_db
class VerifyTests:
    def signup(self, client: Client) -> str:
        client.post("/en/accounts/signup/", GOOD)
        return verification_path(OutboundEmail.objects.latest("id"))

    def test_it_verifies_once_and_then_says_already(self, client: Client) -> None:
        path = self.signup(client)
        response = client.get(path)
        assert response.status_code == 200
        assert "Your email address is confirmed" in response.content.decode()
        assert User.objects.get().email_verified
        again = client.get(path)
        assert "already confirmed" in again.content.decode()

    def test_it_says_plainly_when_a_link_has_expired(self, client: Client) -> None:
        with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
            path = self.signup(client)
        with time_machine.travel(dt.datetime(2026, 1, 5, tzinfo=dt.UTC), tick=False):
            response = client.get(path)
        assert response.status_code == 400
        assert "This confirmation link has expired" in response.content.decode()
        assert not User.objects.get().email_verified

    def test_it_says_plainly_when_a_link_is_forged(self, client: Client) -> None:
        path = self.signup(client)
        forged = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
        response = client.get(forged)
        assert response.status_code == 400
        assert "This confirmation link is not valid" in response.content.decode()
        assert client.get("/en/accounts/verify/garbage/").status_code == 400
        assert not User.objects.get().email_verified

    def test_it_refuses_a_link_for_an_address_the_user_no_longer_has(self, client: Client) -> None:
        path = self.signup(client)
        User.objects.update(email="new@example.test")
        assert client.get(path).status_code == 400

    def test_it_resends_a_link_without_revealing_accounts(self, client: Client) -> None:
        self.signup(client)
        response = client.post("/en/accounts/verify/resend/", {"email": "HANA.lee@example.test"})
        assert response.status_code == 302
        assert OutboundEmail.objects.count() == 2
        client.post("/en/accounts/verify/resend/", {"email": "nobody@example.test"})
        assert OutboundEmail.objects.count() == 2
        page = client.get("/en/accounts/login/").content.decode()
        assert "a new confirmation link is on its way" in page
