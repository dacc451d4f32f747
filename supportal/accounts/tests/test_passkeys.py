"""Passkeys, checked on the server: a small software authenticator (real P-256 keys, real CBOR)
answers the options our views hand out, as a browser with a platform authenticator would. The
browser test (test_browser_passkeys.py) does the same with Chromium's virtual authenticator."""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.encode_cbor import encode_cbor

from supportal.accounts.models import Passkey, UserSession
from supportal.audit.models import AuditEntry
from supportal.test import PASSWORD, Personas

ORIGIN = "http://testserver"
SECURITY = "/en/accounts/security/"
REGISTER_OPTIONS = "/en/accounts/security/passkeys/new/options/"
REGISTER = "/en/accounts/security/passkeys/new/"
LOGIN_OPTIONS = "/en/accounts/passkey/options/"
LOGIN = "/en/accounts/passkey/sign-in/"
REAUTH_OPTIONS = "/en/accounts/reauth/passkey/options/"
REAUTH = "/en/accounts/reauth/passkey/"

UP, UV, AT = 0x01, 0x04, 0x40


class Authenticator:
    """A resident-key authenticator with user verification, in software."""

    def __init__(self, rp_id: str = "testserver") -> None:
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = hashlib.sha256(str(id(self)).encode()).digest()[:16]
        self.user_handle = b""
        self.count = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.count) + attested

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(
        self, options: dict[str, Any], *, origin: str = ORIGIN, flags: int = UP | UV | AT
    ) -> dict[str, Any]:
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        attested = (
            bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_key()
        )
        attestation = encode_cbor(
            {"fmt": "none", "attStmt": {}, "authData": self._auth_data(flags, attested)}
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": bytes_to_base64url(self.credential_id),
            "rawId": bytes_to_base64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        flags: int = UP | UV,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> dict[str, Any]:
        self.count += 1
        auth_data = self._auth_data(flags)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = (key or self.key).sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": bytes_to_base64url(self.credential_id),
            "rawId": bytes_to_base64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": bytes_to_base64url(self.user_handle),
            },
            "clientExtensionResults": {},
        }


def post_json(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def register(client: Client, authenticator: Authenticator, name: str = "Laptop") -> Any:
    options = post_json(client, REGISTER_OPTIONS).json()
    return post_json(client, REGISTER, {"name": name, "credential": authenticator.create(options)})


def sign_in_with(client: Client, authenticator: Authenticator, **kwargs: Any) -> Any:
    options = post_json(client, LOGIN_OPTIONS).json()
    return post_json(client, LOGIN, {"credential": authenticator.get(options, **kwargs)})


@pytest.fixture
def enrolled(personas: Personas) -> Authenticator:
    """The customer has a passkey called "Laptop" (registered through the views)."""
    client = Client()
    client.force_login(personas.customer)
    authenticator = Authenticator()
    assert register(client, authenticator).status_code == 200
    return authenticator


@pytest.mark.django_db
class PasskeyRegistrationTests:
    def test_it_registers_a_named_passkey_and_lists_it(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        options = post_json(client, REGISTER_OPTIONS).json()
        assert options["rp"]["id"] == "testserver"
        assert options["authenticatorSelection"]["residentKey"] == "required"
        assert options["authenticatorSelection"]["userVerification"] == "required"
        assert personas.customer.email not in options["user"]["id"]
        authenticator = Authenticator()
        response = post_json(
            client, REGISTER, {"name": "Work laptop", "credential": authenticator.create(options)}
        )
        assert response.status_code == 200
        assert response.json()["redirect"] == "/en/accounts/security/#passkeys"
        passkey = Passkey.objects.get(user=personas.customer)
        assert passkey.name == "Work laptop"
        assert passkey.transports == "internal"
        html = client.get(SECURITY).content.decode()
        assert "Work laptop" in html
        assert "The passkey “Work laptop” has been added." in html
        assert "Never" in html  # not used yet
        entry = AuditEntry.objects.get(action="passkey.add")
        assert entry.actor == personas.customer
        assert entry.after == {"name": "Work laptop"}

    def test_it_registers_several_and_excludes_those_already_there(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        client.force_login(personas.customer)
        options = post_json(client, REGISTER_OPTIONS).json()
        excluded = [item["id"] for item in options["excludeCredentials"]]
        assert excluded == [bytes_to_base64url(enrolled.credential_id)]
        second = Authenticator()
        response = post_json(client, REGISTER, {"credential": second.create(options)})
        assert response.status_code == 200
        assert Passkey.objects.filter(user=personas.customer).count() == 2
        # Without a name, the passkey is named after the browser (the test client has none).
        assert Passkey.objects.filter(name="Passkey").exists()

    def test_it_refuses_a_challenge_used_twice(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        options = post_json(client, REGISTER_OPTIONS).json()
        first = Authenticator()
        assert post_json(client, REGISTER, {"credential": first.create(options)}).status_code == 200
        replay = post_json(client, REGISTER, {"credential": Authenticator().create(options)})
        assert replay.status_code == 400
        assert replay.json()["error"] == "This passkey request has expired. Please try again."
        assert Passkey.objects.count() == 1

    def test_it_refuses_an_answer_from_another_origin(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        options = post_json(client, REGISTER_OPTIONS).json()
        credential = Authenticator().create(options, origin="https://evil.test")
        response = post_json(client, REGISTER, {"credential": credential})
        assert response.status_code == 400
        assert "could not be verified" in response.json()["error"]
        assert not Passkey.objects.exists()

    def test_it_refuses_an_authenticator_without_user_verification(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        options = post_json(client, REGISTER_OPTIONS).json()
        credential = Authenticator().create(options, flags=UP | AT)
        assert post_json(client, REGISTER, {"credential": credential}).status_code == 400
        assert not Passkey.objects.exists()

    def test_it_answers_garbage_with_a_translated_error(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        post_json(client, "/ko/accounts/security/passkeys/new/options/")
        response = client.post(
            "/ko/accounts/security/passkeys/new/", "{not json", content_type="application/json"
        )
        assert response.status_code == 400
        with translation.override("ko"):
            expected = gettext(
                "Your browser's answer could not be verified, so no passkey was added."
            )
        assert response.json()["error"] == expected
        assert not Passkey.objects.exists()

    def test_it_asks_to_confirm_identity_first_when_sign_in_was_long_ago(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        session = client.session
        session["auth_fresh_at"] = 0
        session.save()
        response = post_json(client, REGISTER_OPTIONS)
        assert response.status_code == 403
        assert response.json()["redirect"].startswith("/en/accounts/reauth/?next=")

    def test_it_sends_a_visitor_to_sign_in_and_refuses_a_get(
        self, client: Client, personas: Personas
    ) -> None:
        assert post_json(client, REGISTER_OPTIONS).status_code == 302
        client.force_login(personas.customer)
        assert client.get(REGISTER_OPTIONS).status_code == 405
        assert client.get(REGISTER).status_code == 405


@pytest.mark.django_db
class PasskeyManagementTests:
    def test_it_renames_a_passkey(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        client.force_login(personas.customer)
        passkey = Passkey.objects.get()
        url = f"/en/accounts/security/passkeys/{passkey.pk}/rename/"
        assert 'value="Laptop"' in client.get(url).content.decode()
        response = client.post(url, {"name": "Phone"})
        assert response.status_code == 302
        passkey.refresh_from_db()
        assert passkey.name == "Phone"
        entry = AuditEntry.objects.get(action="passkey.rename")
        assert (entry.before, entry.after) == ({"name": "Laptop"}, {"name": "Phone"})

    def test_it_keeps_the_input_when_the_name_is_empty(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        client.force_login(personas.customer)
        passkey = Passkey.objects.get()
        response = client.post(f"/en/accounts/security/passkeys/{passkey.pk}/rename/", {"name": ""})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        passkey.refresh_from_db()
        assert passkey.name == "Laptop"

    def test_it_removes_a_passkey_after_confirmation(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        client.force_login(personas.customer)
        passkey = Passkey.objects.get()
        url = f"/en/accounts/security/passkeys/{passkey.pk}/remove/"
        html = client.get(url).content.decode()
        assert "Remove the passkey “Laptop”?" in html
        assert Passkey.objects.exists()
        assert client.post(url).status_code == 302
        assert not Passkey.objects.exists()
        assert AuditEntry.objects.get(action="passkey.remove").before["name"] == "Laptop"

    def test_it_hides_another_persons_passkey(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        passkey = Passkey.objects.get()
        client.force_login(personas.colleague)
        assert client.get(f"/en/accounts/security/passkeys/{passkey.pk}/rename/").status_code == 404
        assert (
            client.post(f"/en/accounts/security/passkeys/{passkey.pk}/remove/").status_code == 404
        )
        client.force_login(personas.admin)
        assert (
            client.post(f"/en/accounts/security/passkeys/{passkey.pk}/remove/").status_code == 404
        )
        assert Passkey.objects.exists()

    def test_it_refuses_a_wrong_method(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        client.force_login(personas.customer)
        passkey = Passkey.objects.get()
        assert client.put(f"/en/accounts/security/passkeys/{passkey.pk}/remove/").status_code == 405

    def test_it_lists_passkeys_with_a_fixed_number_of_queries(
        self,
        client: Client,
        personas: Personas,
        enrolled: Authenticator,
        django_assert_max_num_queries: Any,
    ) -> None:
        client.force_login(personas.customer)
        client.get(SECURITY)
        for _ in range(3):
            register(client, Authenticator())
        with django_assert_max_num_queries(14) as one:
            client.get(SECURITY)
        Passkey.objects.filter(user=personas.customer).delete()
        with django_assert_max_num_queries(14) as none:
            client.get(SECURITY)
        assert len(one.captured_queries) == len(none.captured_queries)


@pytest.mark.django_db
class PasskeySignInTests:
    def test_it_signs_in_without_password_or_code(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        html = client.get("/en/accounts/login/").content.decode()
        assert "Sign in with a passkey" in html
        assert "js/passkeys" in html
        options = post_json(client, LOGIN_OPTIONS).json()
        assert options["allowCredentials"] == []  # discoverable: no account named
        assert options["rpId"] == "testserver"
        credential = enrolled.get(options)
        response = post_json(
            client, LOGIN, {"credential": credential, "next": "/en/requests/?status=open"}
        )
        assert response.status_code == 200
        assert response.json()["redirect"] == "/en/requests/?status=open"
        assert client.session["_auth_user_id"] == str(personas.customer.pk)
        assert client.session["auth_method"] == "passkey"
        assert isinstance(client.session["auth_fresh_at"], int)
        passkey = Passkey.objects.get()
        assert passkey.sign_count == 1
        assert passkey.last_used_at is not None
        row = UserSession.objects.get(pk=client.session["_session_row"])
        assert row.user == personas.customer
        login = AuditEntry.objects.filter(action="auth.login", actor=personas.customer).first()
        assert login is not None
        assert login.note == "passkey"  # the newest sign-in

    def test_it_sends_a_person_on_in_their_own_language(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        personas.customer.language = "ko"
        personas.customer.save()
        response = sign_in_with(client, enrolled)
        assert response.json()["redirect"] == "/ko/"

    def test_it_refuses_a_removed_passkey_with_a_clear_message(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        Passkey.objects.all().delete()
        response = sign_in_with(client, enrolled)
        assert response.status_code == 400
        assert response.json()["error"] == (
            "This passkey is not registered here. It may have been removed; "
            "sign in with your password instead."
        )
        assert "_auth_user_id" not in client.session

    def test_it_refuses_a_removed_passkey_in_korean(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        Passkey.objects.all().delete()
        options = post_json(client, "/ko/accounts/passkey/options/").json()
        response = post_json(
            client, "/ko/accounts/passkey/sign-in/", {"credential": enrolled.get(options)}
        )
        assert response.status_code == 400
        with translation.override("ko"):
            expected = gettext(
                "This passkey is not registered here. It may have been removed; "
                "sign in with your password instead."
            )
        assert response.json()["error"] == expected

    def test_it_refuses_a_forged_signature(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        response = sign_in_with(client, enrolled, key=ec.generate_private_key(ec.SECP256R1()))
        assert response.status_code == 400
        assert response.json()["error"] == (
            "Your browser's answer could not be verified. Please try again."
        )
        assert "_auth_user_id" not in client.session
        assert Passkey.objects.get().sign_count == 0

    def test_it_refuses_another_origin_and_a_replayed_answer(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        assert sign_in_with(client, enrolled, origin="https://evil.test").status_code == 400
        options = post_json(client, LOGIN_OPTIONS).json()
        credential = enrolled.get(options)
        assert post_json(client, LOGIN, {"credential": credential}).status_code == 200
        client.logout()
        again = post_json(client, LOGIN, {"credential": credential})
        assert again.status_code == 400
        assert again.json()["error"] == "This passkey request has expired. Please try again."

    def test_it_refuses_a_cloned_authenticator(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        assert sign_in_with(client, enrolled).status_code == 200
        client.logout()
        enrolled.count = 0  # a copy of the key replays an older counter
        assert sign_in_with(client, enrolled).status_code == 400

    def test_it_refuses_without_user_verification(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        assert sign_in_with(client, enrolled, flags=UP).status_code == 400
        assert "_auth_user_id" not in client.session

    def test_it_refuses_a_deactivated_account(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        personas.customer.is_active = False
        personas.customer.save()
        assert sign_in_with(client, enrolled).status_code == 400
        assert "_auth_user_id" not in client.session

    def test_it_ignores_a_next_address_on_another_site(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        options = post_json(client, LOGIN_OPTIONS).json()
        response = post_json(
            client, LOGIN, {"credential": enrolled.get(options), "next": "https://evil.test/"}
        )
        assert response.json()["redirect"] == "/en/"

    def test_it_refuses_a_get(self, client: Client, db: None) -> None:
        assert client.get(LOGIN_OPTIONS).status_code == 405
        assert client.get(LOGIN).status_code == 405


@pytest.mark.django_db
class PasskeyReauthTests:
    def test_it_confirms_identity_with_the_persons_own_passkey(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        client.force_login(personas.customer)
        session = client.session
        session["auth_fresh_at"] = 0
        session.save()
        html = client.get("/en/accounts/reauth/", {"next": "/en/accounts/profile/"})
        assert "Confirm with a passkey" in html.content.decode()
        options = post_json(client, REAUTH_OPTIONS).json()
        assert [item["id"] for item in options["allowCredentials"]] == [
            bytes_to_base64url(enrolled.credential_id)
        ]
        response = post_json(
            client, REAUTH, {"credential": enrolled.get(options), "next": "/en/accounts/profile/"}
        )
        assert response.json() == {"redirect": "/en/accounts/profile/"}
        assert client.session["auth_fresh_at"] > 0

    def test_it_refuses_someone_elses_passkey(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        other = Client()
        other.force_login(personas.colleague)
        mine = Authenticator()
        assert register(other, mine).status_code == 200
        client.force_login(personas.customer)
        session = client.session
        session["auth_fresh_at"] = 0
        session.save()
        options = post_json(client, REAUTH_OPTIONS).json()
        response = post_json(client, REAUTH, {"credential": mine.get(options)})
        assert response.status_code == 400
        assert client.session["auth_fresh_at"] == 0

    def test_it_offers_no_passkey_button_to_someone_without_one(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        html = client.get("/en/accounts/reauth/").content.decode()
        assert "Confirm with a passkey" not in html
        response = post_json(client, REAUTH_OPTIONS)
        assert response.status_code == 400
        assert response.json()["error"] == "You have no passkeys yet."

    def test_it_sends_a_visitor_to_sign_in(self, client: Client, db: None) -> None:
        assert post_json(client, REAUTH_OPTIONS).status_code == 302


@pytest.mark.django_db
class PasskeyPasswordStillWorksTests:
    def test_it_keeps_password_sign_in_beside_passkeys(
        self, client: Client, personas: Personas, enrolled: Authenticator
    ) -> None:
        response = client.post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": PASSWORD}
        )
        assert response.status_code == 302
