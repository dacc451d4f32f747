"""A person sets up two-factor sign-in through the real pages, saves their recovery codes, signs
out and signs in again with a code from their authenticator app."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, make_user

pytestmark = pytest.mark.browser

EMAIL = "tae@example.test"


def code_for_step(secret: str, step: int) -> str:
    raw = secret.replace(" ", "")
    totp = TOTP(base64.b32decode(raw + "=" * (-len(raw) % 8)))
    totp.time = step * 30
    return f"{totp.token():06d}"


class BrowserTwoFactorTests:
    def test_it_sets_up_two_factor_sign_in_and_signs_in_with_a_code(
        self, page: Page, live_server: LiveServer, transactional_db: None
    ) -> None:
        make_user(EMAIL, name="Tae Two-Factor")
        base = live_server.url
        login(page, base, EMAIL, PASSWORD)

        page.goto(f"{base}/en/accounts/security/")
        with page.expect_navigation():
            page.get_by_role("link", name="Set up two-factor authentication").click()
        assert page.locator("h1").inner_text() == "Set up two-factor authentication"
        qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 100
        assert_no_axe_violations(page, "two-factor setup page")

        secret = page.locator("#twofactor-secret").inner_text()
        step = int(time.time()) // 30
        page.get_by_label("Code from the app").fill(code_for_step(secret, step))
        with page.expect_navigation():
            page.get_by_role("button", name="Turn on two-factor authentication").click()
        assert page.locator("h1").inner_text() == "Your recovery codes"
        assert page.locator(".recovery-codes li").count() == 10
        download = page.get_by_role("link", name="Download as a text file")
        assert download.get_attribute("download") == "supportal-recovery-codes.txt"
        assert_no_axe_violations(page, "recovery codes page")

        with page.expect_navigation():
            page.locator("header form[action$='/accounts/logout/'] button").click()

        page.goto(f"{base}/en/accounts/login/")
        form = page.locator("main form[method=post]")
        form.locator("input[name=username]").fill(EMAIL)
        form.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.url.endswith("/en/accounts/twofactor/verify/")
        assert page.locator("form[action$='/accounts/logout/']").count() == 0
        assert_no_axe_violations(page, "two-factor code page")

        code = page.get_by_label("Code", exact=True)
        code.fill("000000" if code_for_step(secret, step + 1) != "000000" else "111111")
        with page.expect_navigation():
            page.get_by_role("button", name="Verify and sign in").click()
        assert "That code is not right" in page.locator("main").inner_text()
        assert_no_axe_violations(page, "two-factor code page with an error")

        time.sleep(1.1)  # ThrottlingMixin's wait after one wrong code
        page.get_by_label("Code", exact=True).fill(code_for_step(secret, step + 1))
        page.get_by_label("Remember this browser for 30 days").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Verify and sign in").click()
        assert page.locator("form[action$='/accounts/logout/']").count() == 1

        page.goto(f"{base}/en/accounts/security/")
        section = page.locator("section[aria-labelledby=twofactor-heading]")
        assert "You have 10 unused recovery codes." in section.inner_text()
        assert "Forget all browsers" in section.inner_text()
