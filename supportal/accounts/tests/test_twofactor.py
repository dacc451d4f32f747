from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP

from supportal.accounts import twofactor
from supportal.accounts.models import (
    Passkey,
    RecoveryCode,
    SecurityPolicy,
    TOTPDevice,
    TrustedBrowser,
    User,
)
from supportal.audit.models import AuditEntry
from supportal.test import PASSWORD, Personas

SETUP = "/en/accounts/twofactor/setup/"
VERIFY = "/en/accounts/twofactor/verify/"
LOGIN = "/en/accounts/login/"
SECURITY = "/en/accounts/security/"
DISABLE = "/en/accounts/twofactor/disable/"
CODES = "/en/accounts/twofactor/recovery-codes/"
FORGET = "/en/accounts/twofactor/browsers/forget/"
START = "2030-03-04 09:00:10Z"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_now(secret: str, *, offset_steps: int = 0) -> str:
    """What the person's authenticator app shows now (`secret` as the page shows it)."""
    raw = secret.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    totp = TOTP(key, drift=offset_steps)
    return f"{totp.token():06d}"


def secret_on_page(html: str) -> str:
    match = re.search(r'id="twofactor-secret">([A-Z2-7 ]+)</code>', html)
    assert match, "the setup page shows no key"
    return match.group(1)


def codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", html)


def enrol(client: Client, user: User) -> tuple[str, list[str]]:
    """Sets up two-factor sign-in through the pages, as the person would; returns the key
    and the recovery codes shown."""
    client.force_login(user)
    secret = secret_on_page(client.get(SETUP).content.decode())
    # The code of the step before: the current step's code stays unused for the tests.
    response = client.post(SETUP, {"code": code_now(secret, offset_steps=-1)})
    codes = codes_on_page(response.content.decode())
    assert len(codes) == 10
    client.post("/en/accounts/logout/")
    return secret, codes


def password_step(client: Client, user: User) -> None:
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
class SetupTests:
    def test_it_shows_a_qr_code_and_the_key_for_typing(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        client.force_login(personas.customer)
        response = client.get(SETUP)
        html = response.content.decode()
        assert response.status_code == 200
        svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S)
        assert svg is not None
        assert 'class="qr-code"' in svg.group(0)
        assert "style=" not in svg.group(0)
        assert "<?xml" not in html
        assert "<title>QR code to scan with your authenticator app</title>" in svg.group(0)
        secret = secret_on_page(html)
        assert len(secret.replace(" ", "")) == 32
        # A reload shows the same key, so a person who scanned it is not left with a dead one.
        assert secret_on_page(client.get(SETUP).content.decode()) == secret
        device = TOTPDevice.objects.get(user=personas.customer)
        assert not device.confirmed
        assert secret.replace(" ", "") not in device.encrypted_key

    def test_it_turns_on_with_a_right_code_and_shows_ten_recovery_codes_once(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        client.force_login(personas.customer)
        secret = secret_on_page(client.get(SETUP).content.decode())
        response = client.post(SETUP, {"code": code_now(secret)})
        html = response.content.decode()
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert "Two-factor authentication is on." in html
        codes = codes_on_page(html)
        assert len(set(codes)) == 10
        assert 'download="supportal-recovery-codes.txt"' in html
        assert "data:text/plain;charset=utf-8," in html
        assert TOTPDevice.objects.get(user=personas.customer).confirmed
        stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
        assert len(stored) == 10
        assert not stored & set(codes)
        assert AuditEntry.objects.filter(action="twofactor.enable").count() == 1
        assert AuditEntry.objects.filter(action="twofactor.recovery_codes").count() == 1
        # The codes are not shown again: the Security page only counts them.
        page = client.get(SECURITY).content.decode()
        assert "You have 10 unused recovery codes." in page
        assert codes[0] not in page

    def test_it_refuses_a_wrong_code_and_stays_off(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        client.force_login(personas.customer)
        secret = secret_on_page(client.get(SETUP).content.decode())
        wrong = f"{(int(code_now(secret)) + 1) % 1_000_000:06d}"
        response = client.post(SETUP, {"code": wrong})
        html = response.content.decode()
        assert "That code is not right" in html
        assert f'value="{wrong}"' in html
        assert secret_on_page(html) == secret
        assert not twofactor.has_two_factor(personas.customer)
        assert not RecoveryCode.objects.exists()

    def test_it_asks_for_the_password_after_ten_minutes(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        client.force_login(personas.customer)
        clock.shift(timedelta(minutes=11))
        response = client.get(SETUP)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/reauth/?next=")

    def test_it_sends_a_visitor_to_sign_in(self, client: Client, db: None) -> None:
        response = client.get(SETUP)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert client.delete(SETUP).status_code == 405


@pytest.mark.django_db
class SignInTests:
    def test_it_asks_for_a_code_after_the_password(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        response = client.post(
            LOGIN,
            {"username": personas.customer.email, "password": PASSWORD, "next": "/en/requests/"},
        )
        assert response["Location"] == VERIFY
        assert not signed_in(client)
        page = client.get(VERIFY)
        assert 'autocomplete="one-time-code"' in page.content.decode()
        clock.shift(timedelta(seconds=30))
        response = client.post(VERIFY, {"code": code_now(secret)})
        assert response.status_code == 302
        assert response["Location"] == "/en/requests/"
        assert signed_in(client)
        assert client.session["otp_device_id"].endswith(
            str(TOTPDevice.objects.get(user=personas.customer).pk)
        )
        assert isinstance(client.session["auth_fresh_at"], int)

    def test_it_accepts_the_code_of_the_step_before_or_after(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        clock.shift(timedelta(minutes=2))
        password_step(client, personas.customer)
        response = client.post(VERIFY, {"code": code_now(secret, offset_steps=-1)})
        assert response.status_code == 302
        assert signed_in(client)

    def test_it_refuses_a_code_used_before(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        clock.shift(timedelta(seconds=30))
        code = code_now(secret)
        password_step(client, personas.customer)
        client.post(VERIFY, {"code": code})
        client.post("/en/accounts/logout/")
        clock.shift(timedelta(seconds=5))
        password_step(client, personas.customer)
        response = client.post(VERIFY, {"code": code})
        assert response.status_code == 200
        assert "That code has already been used" in response.content.decode()
        assert not signed_in(client)

    def test_it_refuses_a_wrong_code_with_a_clear_message(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        password_step(client, personas.customer)
        wrong = f"{(int(code_now(secret)) + 7) % 1_000_000:06d}"
        response = client.post(VERIFY, {"code": wrong})
        html = response.content.decode()
        assert "That code is not right" in html
        assert f'value="{wrong}"' in html
        assert not signed_in(client)
        entry = AuditEntry.objects.get(action="twofactor.failed")
        assert entry.actor == personas.customer

    def test_it_makes_the_person_wait_after_wrong_codes(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        clock.shift(timedelta(minutes=1))
        password_step(client, personas.customer)
        # ThrottlingMixin's back-off: after n failures, 2**(n-1) seconds before the next try.
        client.post(VERIFY, {"code": "000000"})
        clock.shift(timedelta(seconds=1))
        client.post(VERIFY, {"code": "000001"})
        clock.shift(timedelta(seconds=2))
        client.post(VERIFY, {"code": "000002"})
        # The right code is refused too, for now, with the wait.
        response = client.post(VERIFY, {"code": code_now(secret)})
        assert "Too many wrong codes. Wait 4 seconds and try again." in response.content.decode()
        assert not signed_in(client)
        clock.shift(timedelta(seconds=5))
        password_step(client, personas.customer)
        assert client.post(VERIFY, {"code": code_now(secret)}).status_code == 302

    def test_it_accepts_each_recovery_code_once(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        _secret, codes = enrol(client, personas.customer)
        password_step(client, personas.customer)
        response = client.post(VERIFY, {"code": codes[3].upper().replace("-", " ")}, follow=True)
        assert signed_in(client)
        assert "You have 9 recovery codes left." in response.content.decode()
        client.post("/en/accounts/logout/")
        password_step(client, personas.customer)
        response = client.post(VERIFY, {"code": codes[3]})
        assert "That code is not right" in response.content.decode()
        assert not signed_in(client)

    def test_it_forgets_the_password_step_after_five_minutes(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        password_step(client, personas.customer)
        clock.shift(timedelta(minutes=5, seconds=30))
        response = client.post(VERIFY, {"code": code_now(secret)}, follow=True)
        assert "Your sign-in took too long. Sign in again." in response.content.decode()
        assert not signed_in(client)

    def test_it_sends_someone_without_a_password_step_to_sign_in(
        self, client: Client, db: None
    ) -> None:
        response = client.get(VERIFY)
        assert response.status_code == 302
        assert response["Location"] == LOGIN

    def test_it_refuses_a_wrong_method(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        enrol(client, personas.customer)
        password_step(client, personas.customer)
        assert client.put(VERIFY).status_code == 405

    def test_it_signs_in_without_a_code_when_two_factor_is_off(
        self, client: Client, personas: Personas
    ) -> None:
        password_step(client, personas.customer)
        assert signed_in(client)


@pytest.mark.django_db
class TrustedBrowserTests:
    def test_it_skips_the_code_in_a_remembered_browser_for_thirty_days(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        password_step(client, personas.customer)
        response = client.post(VERIFY, {"code": code_now(secret), "remember": "on"})
        cookie = response.cookies[twofactor.TRUST_COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert cookie["max-age"] == 30 * 24 * 3600
        row = TrustedBrowser.objects.get(user=personas.customer)
        assert row.token_hash != cookie.value
        assert len(row.token_hash) == 64
        client.post("/en/accounts/logout/")

        clock.shift(timedelta(days=29))
        password_step(client, personas.customer)
        assert signed_in(client)
        client.post("/en/accounts/logout/")

        clock.shift(timedelta(days=2))
        response = client.post(LOGIN, {"username": personas.customer.email, "password": PASSWORD})
        assert response["Location"] == VERIFY
        assert not signed_in(client)

    def test_it_does_not_let_another_person_use_the_remembered_browser(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        enrol(client, personas.colleague)
        password_step(client, personas.customer)
        client.post(VERIFY, {"code": code_now(secret), "remember": "on"})
        client.post("/en/accounts/logout/")
        response = client.post(LOGIN, {"username": personas.colleague.email, "password": PASSWORD})
        assert response["Location"] == VERIFY

    def test_it_lists_remembered_browsers_and_forgets_them_all(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        password_step(client, personas.customer)
        client.post(
            VERIFY,
            {"code": code_now(secret), "remember": "on"},
            HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0",
        )
        page = client.get(SECURITY).content.decode()
        assert "Firefox/140.0" in page
        assert "Forget all browsers" in page
        response = client.post(FORGET, follow=True)
        assert "asked for a code again" in response.content.decode()
        assert not TrustedBrowser.objects.exists()
        assert client.get(FORGET).status_code == 405
        client.post("/en/accounts/logout/")
        response = client.post(LOGIN, {"username": personas.customer.email, "password": PASSWORD})
        assert response["Location"] == VERIFY


@pytest.mark.django_db
class DisableTests:
    def test_it_asks_for_the_password_before_turning_off(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.customer)
        clock.shift(timedelta(minutes=1))
        password_step(client, personas.customer)
        client.post(VERIFY, {"code": code_now(secret), "remember": "on"})
        clock.shift(timedelta(minutes=11))
        response = client.post(DISABLE)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/reauth/")
        assert twofactor.has_two_factor(personas.customer)

        response = client.post(
            "/en/accounts/reauth/", {"password": PASSWORD, "next": DISABLE}, follow=True
        )
        assert "Turn off two-factor authentication" in response.content.decode()
        response = client.post(DISABLE, follow=True)
        assert "Two-factor authentication is off." in response.content.decode()
        assert not TOTPDevice.objects.exists()
        assert not RecoveryCode.objects.exists()
        assert not TrustedBrowser.objects.exists()
        assert AuditEntry.objects.filter(action="twofactor.disable").count() == 1

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert client.put(DISABLE).status_code == 405


@pytest.mark.django_db
class RecoveryCodesTests:
    def test_it_makes_new_codes_and_the_old_ones_stop_working(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        _secret, old = enrol(client, personas.customer)
        client.force_login(personas.customer)
        assert "current recovery codes will stop working" in client.get(CODES).content.decode()
        new = codes_on_page(client.post(CODES).content.decode())
        assert len(new) == 10
        assert not set(new) & set(old)
        client.post("/en/accounts/logout/")
        password_step(client, personas.customer)
        assert "That code is not right" in client.post(VERIFY, {"code": old[0]}).content.decode()
        clock.shift(timedelta(seconds=2))  # the wait after one wrong code
        assert client.post(VERIFY, {"code": new[0]}).status_code == 302

    def test_it_asks_for_the_password_first(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        enrol(client, personas.customer)
        client.force_login(personas.customer)
        clock.shift(timedelta(minutes=11))
        response = client.post(CODES)
        assert response["Location"].startswith("/en/accounts/reauth/")
        assert AuditEntry.objects.filter(action="twofactor.recovery_codes").count() == 1


@pytest.mark.django_db
class EnforcementTests:
    @pytest.fixture(autouse=True)
    def _required(self, db: None) -> None:
        SecurityPolicy.objects.update_or_create(
            pk=1, defaults={"require_two_factor_for_staff": True}
        )

    def test_it_makes_an_agent_set_it_up_before_anything_else(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        password_step(client, personas.agent)
        for path in ("/en/agent/", "/en/accounts/profile/", SECURITY):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"] == SETUP
        html = client.get(SETUP).content.decode()
        assert "Your administrator requires two-factor authentication" in html
        client.post(SETUP, {"code": code_now(secret_on_page(html))})
        assert client.get("/en/accounts/profile/").status_code == 200

    def test_it_lets_the_agent_sign_out_and_change_language(
        self, client: Client, personas: Personas
    ) -> None:
        password_step(client, personas.agent)
        response = client.post("/i18n/setlang/", {"language": "ko", "next": SETUP})
        assert response["Location"] == "/ko/accounts/twofactor/setup/"
        client.post("/en/accounts/logout/")
        assert not signed_in(client)

    def test_it_counts_a_passkey_as_the_second_factor(
        self, client: Client, personas: Personas
    ) -> None:
        # The row a registration ceremony leaves (test_passkeys.py makes real ones).
        Passkey.objects.create(
            user=personas.agent, name="Laptop", credential_id="abc", public_key=b"k"
        )
        password_step(client, personas.agent)
        assert client.get("/en/agent/").status_code == 200

    def test_it_never_forces_a_customer(self, client: Client, personas: Personas) -> None:
        password_step(client, personas.customer)
        assert client.get("/en/accounts/profile/").status_code == 200

    def test_it_sends_an_agent_who_turns_it_off_back_to_set_up(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        secret, _codes = enrol(client, personas.admin)
        password_step(client, personas.admin)
        client.post(VERIFY, {"code": code_now(secret, offset_steps=1)})
        assert client.get("/en/accounts/profile/").status_code == 200
        response = client.post(DISABLE)
        assert response["Location"] == SETUP
        assert client.get("/en/accounts/profile/")["Location"] == SETUP


@pytest.mark.django_db
class SecurityPageTests:
    def test_it_offers_setup_when_off(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        html = client.get(SECURITY).content.decode()
        assert "Set up two-factor authentication" in html
        assert SETUP in html

    def test_it_shows_the_state_when_on(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        enrol(client, personas.customer)
        RecoveryCode.objects.filter(pk=RecoveryCode.objects.first().pk).update(
            used_at=timezone.now()
        )
        client.force_login(personas.customer)
        html = client.get(SECURITY).content.decode()
        assert "You have 9 unused recovery codes." in html
        assert "No browser is remembered" in html
        assert DISABLE in html
        assert CODES in html


POLICY = "/en/accounts/manage/security/"


@pytest.mark.django_db
class SecurityPolicyPageTests:
    def test_it_lets_an_admin_change_the_policy(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(POLICY)
        html = page.content.decode()
        assert page.status_code == 200
        assert 'name="require_two_factor_for_staff"' in html
        assert 'aria-current="page"' in html
        response = client.post(
            POLICY,
            {"require_two_factor_for_staff": "on", "session_idle_minutes": "30"},
            follow=True,
        )
        assert "The security settings have been saved." in response.content.decode()
        policy = SecurityPolicy.current()
        assert policy.require_two_factor_for_staff
        assert policy.session_idle_minutes == 30
        entry = AuditEntry.objects.get(action="security_policy.change")
        assert entry.before == {"require_two_factor_for_staff": False, "session_idle_minutes": 0}
        assert entry.after == {"require_two_factor_for_staff": True, "session_idle_minutes": 30}

    def test_it_refuses_a_too_short_idle_time_and_keeps_the_input(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(POLICY, {"session_idle_minutes": "2"})
        html = response.content.decode()
        assert "Enter 0 (no limit) or at least 5 minutes." in html
        assert 'value="2"' in html
        assert SecurityPolicy.current().session_idle_minutes == 0
        assert not AuditEntry.objects.filter(action="security_policy.change").exists()

    def test_it_asks_the_admin_for_the_password_first(
        self, client: Client, personas: Personas, clock: time_machine.Coordinates
    ) -> None:
        client.force_login(personas.admin)
        clock.shift(timedelta(minutes=11))
        response = client.post(POLICY, {"require_two_factor_for_staff": "on"})
        assert response["Location"].startswith("/en/accounts/reauth/")
        assert not SecurityPolicy.current().require_two_factor_for_staff

    def test_it_refuses_agents_and_customers(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        assert client.get(POLICY).status_code == 403
        client.force_login(personas.customer)
        assert client.get(POLICY).status_code == 403
        client.logout()
        assert client.get(POLICY)["Location"].startswith("/en/accounts/login/")

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.put(POLICY).status_code == 405

    def test_it_is_in_the_admin_settings_menu(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert POLICY in client.get("/en/agent/manage/groups/").content.decode()
