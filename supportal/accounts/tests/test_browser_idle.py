"""The warning before an idle sign-out (WCAG 2.2.1) in Chromium, with the page's clock run
ahead by Playwright: the dialog, its focus, and "Stay signed in" reaching the server."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.models import SecurityPolicy
from supportal.browser_testing import assert_focus_visible, assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser


def test_the_person_is_warned_before_an_idle_sign_out_and_stays_signed_in(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    policy = SecurityPolicy.current()
    policy.session_idle_minutes = 5
    policy.save()
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.clock.install()
    page.goto(f"{live_server.url}/en/requests/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_hidden()
    page.clock.run_for("02:30")
    expect(dialog).to_be_hidden()  # five minutes, warned at three
    page.clock.run_for("00:40")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("you will be signed out in 2 minutes.")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_focus_visible(page, "the idle warning")
    assert_no_axe_violations(page, "the idle warning")
    with page.expect_response("**/accounts/session/keep/") as kept:
        page.keyboard.press("Enter")
    assert kept.value.status == 204
    expect(dialog).to_be_hidden()
    # The clock starts again: no warning for the next three minutes, then again.
    page.clock.run_for("02:50")
    expect(dialog).to_be_hidden()
    page.clock.run_for("00:20")
    expect(dialog).to_be_visible()
    # Escape also keeps the session.
    with page.expect_response("**/accounts/session/keep/") as kept:
        page.keyboard.press("Escape")
    assert kept.value.status == 204
    expect(dialog).to_be_hidden()
