"""Sign-in, sign-up and password reset answer the same for an address with an account and one
without, so none of them tells a stranger who has an account."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from supportal.accounts.models import User
from supportal.core.models import OutboundEmail
from supportal.test import PASSWORD, Personas, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet-harbour-1987"


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how many passwords it hashes."""

    algorithm = "md5"
    calls: ClassVar[list[str]] = []

    def encode(self, password: str, salt: str) -> str:
        self.calls.append(password)
        return super().encode(password, salt)


def page(response: Any) -> str:
    """The page without what differs from one response to the next (the CSRF token, the
    addresses typed)."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"[\w.+-]+@[\w.-]+", "EMAIL", html)


def signup(client: Client, email: str) -> Any:
    data = {"name": "Sam", "email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post("/en/accounts/signup/", data)


class SignInAnswerTests:
    def test_a_wrong_password_and_an_unknown_address_get_the_same_page(
        self, personas: Personas
    ) -> None:
        known = Client().post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": "nope-1234"}
        )
        unknown = Client().post(
            "/en/accounts/login/", {"username": "nobody@acme.test", "password": "nope-1234"}
        )
        assert known.status_code == unknown.status_code == 200
        assert page(known) == page(unknown)
        assert "That email address and password do not match an account" in page(unknown)

    def test_an_unknown_address_costs_a_password_hash_too(
        self, settings: Any, personas: Personas
    ) -> None:
        # Same work either way, so the answer's timing does not tell either.
        settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
        CountingHasher.calls.clear()
        Client().post("/en/accounts/login/", {"username": "nobody@acme.test", "password": "x-1"})
        assert CountingHasher.calls == ["x-1"]
        CountingHasher.calls.clear()
        Client().post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": "x-1"}
        )
        assert CountingHasher.calls == ["x-1"]

    def test_a_deactivated_account_answers_like_an_unknown_address(
        self, personas: Personas
    ) -> None:
        personas.customer.is_active = False
        personas.customer.save()
        known = Client().post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": PASSWORD}
        )
        unknown = Client().post(
            "/en/accounts/login/", {"username": "nobody@acme.test", "password": PASSWORD}
        )
        assert page(known) == page(unknown)


class SignUpAnswerTests:
    def test_an_address_with_an_account_gets_the_same_pages_as_a_new_one(self) -> None:
        make_user("taken@example.test")
        taken_client, new_client = Client(), Client()
        taken = signup(taken_client, "Taken@Example.test")
        new = signup(new_client, "fresh@example.test")
        assert taken.status_code == new.status_code == 302
        assert taken["Location"] == new["Location"] == "/en/accounts/signup/done/"
        taken_done = taken_client.get(taken["Location"])
        new_done = new_client.get(new["Location"])
        assert page(taken_done) == page(new_done)
        assert "taken@example.test" in taken_done.content.decode()
        assert User.objects.filter(email="taken@example.test").count() == 1

    def test_the_owner_gets_a_note_instead_of_a_second_account(self) -> None:
        owner = make_user("taken@example.test", language="ko")
        before = owner.password
        signup(Client(), "taken@example.test")
        email = OutboundEmail.objects.get()
        assert email.recipients == ["taken@example.test"]
        assert "/ko/accounts/login/" in email.body_text
        assert "/ko/accounts/password/reset/" in email.body_text
        assert "/accounts/verify/" not in email.body_text
        owner.refresh_from_db()
        assert owner.password == before  # what was typed changes nothing

    def test_an_unconfirmed_owner_gets_a_new_confirmation_link_in_the_note(self) -> None:
        make_user("waiting@example.test", verified=False)
        signup(Client(), "waiting@example.test")
        email = OutboundEmail.objects.get()
        assert "Someone tried to create a new account" in email.body_text
        assert "/en/accounts/verify/" in email.body_text

    def test_a_new_address_still_gets_its_confirmation_link(self) -> None:
        signup(Client(), "fresh@example.test")
        email = OutboundEmail.objects.get()
        assert email.recipients == ["fresh@example.test"]
        assert "Please confirm your email address" in email.body_text
        assert User.objects.get(email="fresh@example.test").name == "Sam"

    def test_both_cost_a_password_hash(self, settings: Any) -> None:
        settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
        make_user("taken@example.test")
        CountingHasher.calls.clear()
        signup(Client(), "taken@example.test")
        signup(Client(), "fresh@example.test")
        assert CountingHasher.calls == [NEW_PASSWORD, NEW_PASSWORD]


class PasswordResetAnswerTests:
    def test_a_known_and_an_unknown_address_get_the_same_answer(self, personas: Personas) -> None:
        known_client, unknown_client = Client(), Client()
        known = known_client.post(
            "/en/accounts/password/reset/", {"email": personas.customer.email}
        )
        unknown = unknown_client.post("/en/accounts/password/reset/", {"email": "no@acme.test"})
        assert known.status_code == unknown.status_code == 302
        assert known["Location"] == unknown["Location"]
        assert page(known_client.get(known["Location"])) == page(
            unknown_client.get(unknown["Location"])
        )
        assert [mail.recipients for mail in OutboundEmail.objects.all()] == [
            [personas.customer.email]
        ]
