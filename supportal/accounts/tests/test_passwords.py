from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from supportal.core.models import OutboundEmail
from supportal.test import PASSWORD, Personas, make_user


def reset_path() -> str:
    body = OutboundEmail.objects.latest("id").body_text
    match = re.search(r"https?://[^/\s]+(/\S+/accounts/password/reset/\S+/)", body)
    assert match, body
    return match.group(1)


@pytest.mark.django_db
class PasswordResetTests:
    def test_it_mails_a_link_in_the_users_language_that_sets_a_new_password(
        self, client: Client, db: None
    ) -> None:
        make_user("yuki@example.test", language="ja")
        response = client.post("/en/accounts/password/reset/", {"email": "YUKI@example.test"})
        assert response["Location"] == "/en/accounts/password/reset/sent/"
        path = reset_path()
        assert path.startswith("/ja/accounts/password/reset/")
        # Django swaps the token for a session marker and redirects to the form.
        form_url = client.get(path)["Location"]
        response = client.post(
            form_url, {"new_password1": "meadow-lantern-77", "new_password2": "meadow-lantern-77"}
        )
        assert response["Location"] == "/ja/accounts/password/reset/complete/"
        response = client.post(
            "/en/accounts/login/",
            {"username": "yuki@example.test", "password": "meadow-lantern-77"},
        )
        assert response.status_code == 302
        # The link works only once.
        client.post("/en/accounts/logout/")
        again = client.get(path)
        assert again.status_code == 400
        assert '<html lang="ja">' in again.content.decode()

    def test_it_says_nothing_about_unknown_addresses(self, client: Client, db: None) -> None:
        response = client.post("/en/accounts/password/reset/", {"email": "nobody@example.test"})
        assert response["Location"] == "/en/accounts/password/reset/sent/"
        assert not OutboundEmail.objects.exists()

    def test_it_says_plainly_when_a_reset_link_is_forged(self, client: Client, db: None) -> None:
        response = client.get("/en/accounts/password/reset/MQ/forged-token/")
        assert response.status_code == 400
        assert "This password reset link is not valid" in response.content.decode()

    def test_it_keeps_the_email_typed_when_it_is_invalid(self, client: Client, db: None) -> None:
        html = client.post(
            "/en/accounts/password/reset/", {"email": "not an email"}
        ).content.decode()
        assert 'value="not an email"' in html
        assert "Enter a valid email address." in html


@pytest.mark.django_db
class PasswordChangeTests:
    def test_it_changes_the_password_and_keeps_the_user_signed_in(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = client.post(
            "/en/accounts/password/change/",
            {
                "old_password": PASSWORD,
                "new_password1": "copper-kettle-2031",
                "new_password2": "copper-kettle-2031",
            },
        )
        assert response["Location"] == "/en/accounts/profile/"
        assert (
            "Your password has been changed."
            in client.get("/en/accounts/profile/").content.decode()
        )
        personas.customer.refresh_from_db()
        assert personas.customer.check_password("copper-kettle-2031")

    def test_it_refuses_a_wrong_old_password(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        response = client.post(
            "/en/accounts/password/change/",
            {
                "old_password": "nope",
                "new_password1": "x-y-z-123456",
                "new_password2": "x-y-z-123456",
            },
        )
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()

    def test_it_shows_breadcrumbs_back_to_the_profile(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        html = client.get("/ko/accounts/password/change/").content.decode()
        assert 'aria-label="' in html and 'href="/ko/accounts/profile/"' in html
        assert 'aria-current="page"' in html


class HashingTests:
    def test_production_hashes_passwords_with_argon2(self) -> None:
        assert settings.PRODUCTION_PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")

    def test_argon2_works_here(self, settings) -> None:  # type: ignore[no-untyped-def]
        from django.contrib.auth.hashers import check_password, make_password

        settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
        hashed = make_password("violet-harbour-1987", hasher="argon2")
        assert hashed.startswith("argon2$")
        assert check_password("violet-harbour-1987", hashed)
