"""Passkeys in a real Chromium with its virtual authenticator (DevTools protocol): add one on the
Security page, sign out, sign in with it, confirm who you are with it, remove it, and see the
removed passkey refused. WebAuthn wants a host name, so the pages are opened on localhost."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.models import Passkey
from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser


def add_virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


class PasskeyBrowserTests:
    def test_it_adds_a_passkey_and_signs_in_with_it(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        base = f"http://localhost:{urlsplit(live_server.url).port}"
        # The page fixture counts any other origin as a third party: it must be this one.
        assert live_server.url == base
        add_virtual_authenticator(page)
        customer = personas.customer

        login(page, base, customer.email, PASSWORD)
        page.goto(f"{base}/en/accounts/security/")
        section = page.locator("#passkeys")
        expect(section.get_by_text("You have no passkeys yet.")).to_be_visible()
        expect(section.locator(".passkey-unsupported")).to_be_hidden()
        assert_no_axe_violations(page, "Security page")
        section.get_by_label("Name for the new passkey (optional)").fill("Test laptop")
        with page.expect_navigation():
            section.get_by_role("button", name="Add a passkey").click()
        expect(page.get_by_text("The passkey “Test laptop” has been added.")).to_be_visible()
        expect(section.get_by_role("cell", name="Test laptop", exact=True)).to_be_visible()
        assert_no_axe_violations(page, "Security page with a passkey")
        passkey = Passkey.objects.get(user=customer)
        assert passkey.last_used_at is None

        # Sign out, then back in with the passkey alone: no password, no code.
        with page.expect_navigation():
            page.locator("form[action$='/accounts/logout/'] button").click()
        page.goto(f"{base}/en/accounts/login/?next=/en/accounts/security/")
        assert_no_axe_violations(page, "Sign-in page")
        with page.expect_navigation(url=f"{base}/en/accounts/security/"):
            page.get_by_role("button", name="Sign in with a passkey").click()
        expect(page.locator("form[action$='/accounts/logout/']")).to_have_count(1)
        passkey.refresh_from_db()
        assert passkey.last_used_at is not None
        assert passkey.sign_count >= 0
        # This session is listed, marked as this browser.
        expect(page.locator("#sessions").get_by_text("(this browser)")).to_be_visible()

        # Confirm who you are with it on the re-authentication page.
        page.goto(f"{base}/en/accounts/reauth/?next=/en/accounts/profile/")
        assert_no_axe_violations(page, "Re-authentication page")
        with page.expect_navigation(url=f"{base}/en/accounts/profile/"):
            page.get_by_role("button", name="Confirm with a passkey").click()

        # Remove it; the authenticator still has it, and the site now refuses it.
        page.goto(f"{base}/en/accounts/security/passkeys/{passkey.pk}/remove/")
        assert_no_axe_violations(page, "Remove passkey page")
        with page.expect_navigation():
            page.get_by_role("button", name="Remove", exact=True).click()
        expect(page.get_by_text("The passkey “Test laptop” has been removed.")).to_be_visible()
        with page.expect_navigation():
            page.locator("form[action$='/accounts/logout/'] button").click()
        page.goto(f"{base}/en/accounts/login/")
        page.get_by_role("button", name="Sign in with a passkey").click()
        alert = page.locator(".passkey-error")
        expect(alert).to_have_text(
            "This passkey is not registered here. It may have been removed; "
            "sign in with your password instead."
        )
        assert_no_axe_violations(page, "Sign-in page with a refused passkey")
        expect(page.locator("form[action$='/accounts/logout/']")).to_have_count(0)
