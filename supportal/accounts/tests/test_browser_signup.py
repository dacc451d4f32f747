"""A newcomer signs up, confirms their address, signs in, changes language and signs out, using
the keyboard alone: Tab, typing and Enter, never the mouse.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.models import User
from supportal.core.models import OutboundEmail
from supportal.test import PASSWORD

pytestmark = pytest.mark.browser

NAME = "Kim Keyboard"
EMAIL = "kim@example.test"

_FOCUS_JS = """
([selector, text]) => {
  const el = document.activeElement;
  return {
    html: el.outerHTML.slice(0, 200),
    outline: window.getComputedStyle(el).outlineStyle,
    matches: el.matches(selector) && (text === null || el.textContent.trim() === text),
  };
}
"""


def press_tab_until(
    page: Page, selector: str, *, text: str | None = None, key: str = "Tab", limit: int = 30
) -> None:
    """Presses Tab until the focused element matches; focus must be visible at every stop."""
    for _ in range(limit):
        page.keyboard.press(key)
        focused: dict[str, Any] = page.evaluate(_FOCUS_JS, [selector, text])
        assert focused["outline"] != "none", f"focus is not visible on {focused['html']}"
        if focused["matches"]:
            return
    pytest.fail(f"{limit} presses of {key} never reached {selector} {text or ''}", pytrace=False)


def press_enter_and_wait(page: Page) -> None:
    """Presses Enter on a link or in a form and waits for the page it leads to, which must load."""
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    response = navigation.value
    assert response is not None
    assert response.ok, f"HTTP {response.status} at {response.url}"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


class KeyboardSignupTests:
    def test_it_takes_a_newcomer_from_sign_up_to_sign_out_by_keyboard(
        self, page: Page, live_server: LiveServer, transactional_db: None, settings: Any
    ) -> None:
        settings.SITE_URL = live_server.url  # so the emailed link points at this server

        # The skip link comes first and moves focus to the main content.
        page.goto(f"{live_server.url}/en/")
        press_tab_until(page, "a.skip-link", limit=1)
        assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0")
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement === document.querySelector('main')")

        # Back up into the header to "Sign up".
        press_tab_until(page, "header a", text="Sign up", key="Shift+Tab")
        press_enter_and_wait(page)
        assert path_of(page) == "/en/accounts/signup/"

        for name, value in [
            ("name", NAME),
            ("email", EMAIL),
            ("password1", PASSWORD),
            ("password2", PASSWORD),
        ]:
            press_tab_until(page, f"main form input[name={name}]")
            page.keyboard.type(value)
        press_enter_and_wait(page)
        assert path_of(page) == "/en/accounts/signup/done/"
        assert page.locator("main h1").inner_text() == "Check your email"
        assert page.locator("main strong").inner_text() == EMAIL

        # Follow the link from the email, as the newcomer would from their mailbox.
        email = OutboundEmail.objects.get(to=EMAIL)
        match = re.search(r"https?://\S+/accounts/verify/\S+/", email.body_text)
        assert match, email.body_text
        link = match.group()
        assert link.startswith(f"{live_server.url}/en/accounts/verify/")
        response = page.goto(link)
        assert response is not None
        assert response.ok, f"HTTP {response.status} at {response.url}"
        assert page.locator("main h1").inner_text() == "Your email address is confirmed"
        assert User.objects.get(email=EMAIL).email_verified

        press_tab_until(page, "a", text="Sign in")
        press_enter_and_wait(page)
        assert path_of(page) == "/en/accounts/login/"
        # The email field has autofocus, so typing starts there.
        assert page.evaluate("document.activeElement.name") == "username"
        page.keyboard.type(EMAIL)
        press_tab_until(page, "main form input[name=password]")
        page.keyboard.type(PASSWORD)
        press_enter_and_wait(page)
        assert path_of(page) == "/en/"
        assert page.locator("header a[href='/en/accounts/profile/']").inner_text() == NAME

        # The language menu: open it, pick 한국어.
        press_tab_until(page, "details.language-switcher > summary")
        page.keyboard.press("Enter")
        assert page.evaluate("document.querySelector('details.language-switcher').open")
        press_tab_until(page, "details.language-switcher button[name=language][value=ko]")
        press_enter_and_wait(page)
        assert path_of(page).startswith("/ko/")
        assert page.locator("html").get_attribute("lang") == "ko"
        assert User.objects.get(email=EMAIL).language == "ko"

        press_tab_until(page, "header form[action$='/accounts/logout/'] button")
        press_enter_and_wait(page)
        assert path_of(page).startswith("/ko/")
        assert page.locator("form[action$='/accounts/logout/']").count() == 0
        assert page.locator("header a[href='/ko/accounts/login/']").count() == 1
