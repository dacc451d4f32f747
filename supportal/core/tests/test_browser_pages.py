"""The foundation's pages in the states a plain visit does not reach, in every language.

Each is checked with axe-core (WCAG 2.2 A and AA), and for speaking the page's language only:
`<html lang>` matches the URL and no English interface text is left on a page in another
language. The language menu is also checked open on a 320px-wide screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.services import user_signup
from supportal.browser_testing import (
    assert_no_axe_violations,
    axe_report,
    english_interface_text,
    login,
    semantics_problems,
)
from supportal.core.models import OutboundEmail
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]
NEWCOMER_NAME = "Dana Newcomer"
NEWCOMER_EMAIL = "dana@example.test"


@dataclass
class Visit:
    """One page of the site in one language, opened the way a person would get there."""

    page: Page
    base_url: str
    lang: str
    personas: Personas
    # Text that is data, not interface: it stays as typed whatever the page's language.
    data: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.lang}{path}"

    def goto(self, path: str) -> int:
        response = self.page.goto(self.url(path))
        assert response is not None
        return response.status

    def submit(self, values: dict[str, str]) -> int:
        form = self.page.locator("main form[method=post]")
        for name, value in values.items():
            form.locator(f"[name={name}]").fill(value)
        with self.page.expect_navigation() as navigation:
            form.locator("button[type=submit]").click()
        response = navigation.value
        assert response is not None
        return response.status

    def sign_in(self, email: str) -> None:
        login(self.page, self.base_url, email, PASSWORD, lang=self.lang)


def _login_failed(visit: Visit) -> int:
    visit.goto("/accounts/login/")
    return visit.submit({"username": visit.personas.customer.email, "password": "not-my-password"})


def _signup_with_errors(visit: Visit) -> int:
    visit.goto("/accounts/signup/")
    return visit.submit(
        {"name": "", "email": "not-an-email", "password1": "short", "password2": "different"}
    )


def _signup_done(visit: Visit) -> int:
    visit.data |= {NEWCOMER_NAME}
    visit.goto("/accounts/signup/")
    status = visit.submit(
        {
            "name": NEWCOMER_NAME,
            "email": NEWCOMER_EMAIL,
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
    )
    assert visit.page.url == visit.url("/accounts/signup/done/")
    return status


def _as(persona: str, path: str) -> Callable[[Visit], int]:
    def open_page(visit: Visit) -> int:
        user = getattr(visit.personas, persona)
        visit.data |= {user.name}
        visit.sign_in(user.email)
        return visit.goto(path)

    return open_page


def _with_an_email(open_page: Callable[[Visit], int]) -> Callable[[Visit], int]:
    """Someone signs up first, so the outbox holds their confirmation email."""

    def with_email(visit: Visit) -> int:
        user_signup(
            email=NEWCOMER_EMAIL,
            name=NEWCOMER_NAME,
            password=PASSWORD,
            language=visit.lang,
            time_zone="UTC",
        )
        visit.data |= {NEWCOMER_NAME}
        return open_page(visit)

    return with_email


def _outbox_message(visit: Visit) -> int:
    visit.sign_in(visit.personas.admin.email)
    visit.data |= {visit.personas.admin.name}
    return visit.goto(f"/manage/outbox/{OutboundEmail.objects.get().pk}/")


@dataclass(frozen=True)
class Screen:
    name: str
    open: Callable[[Visit], int]
    status: int = 200
    # An element that proves the page is in the state this screen is about.
    shows: str = "main h1"


# The states a plain visit does not reach (errors, a finished sign-up, refusals). Every page type
# as a plain visit, in every language, is in test_browser_every_page.py.
SCREENS = [
    Screen("login-failed", _login_failed, shows="#form-errors"),
    Screen("signup-with-errors", _signup_with_errors, shows=".field-invalid .errorlist"),
    Screen("signup-done", _signup_done),
    Screen("outbox", _with_an_email(_as("admin", "/manage/outbox/")), shows="main table a"),
    Screen("outbox-message", _with_an_email(_outbox_message), shows="main .email-body"),
    Screen("404", lambda visit: visit.goto("/no-such-page/"), status=404),
    Screen("403", _as("customer", "/manage/outbox/"), status=403),
]

CASES = [
    pytest.param(lang, screen, id=f"{lang}-{screen.name}")
    for lang in LANGUAGES
    for screen in SCREENS
]


@pytest.fixture
def open_screen(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> Callable[[str, Screen], Visit]:
    def open_it(lang: str, screen: Screen) -> Visit:
        visit = Visit(page=page, base_url=live_server.url, lang=lang, personas=personas)
        visit.data |= {personas.acme.name, personas.globex.name}
        status = screen.open(visit)
        assert status == screen.status, f"{lang}/{screen.name}: HTTP {status} at {page.url}"
        assert page.locator(screen.shows).count() > 0, f"{lang}/{screen.name}: no {screen.shows}"
        return visit

    return open_it


# --- Checks ------------------------------------------------------------------------------------


class PageTests:
    @pytest.mark.parametrize(("lang", "screen"), CASES)
    def test_it_is_accessible_and_speaks_the_language_of_its_url(
        self, open_screen: Callable[[str, Screen], Visit], page: Page, lang: str, screen: Screen
    ) -> None:
        visit = open_screen(lang, screen)
        label = f"{lang}/{screen.name}"
        problems = []
        html_lang = page.locator("html").get_attribute("lang")
        if html_lang != lang:
            problems.append(f"{label}: <html lang={html_lang!r}>, expected {lang!r}")
        if lang != "en":
            english = english_interface_text(page, visit.data)
            if english:
                problems.append(f"{label}: English interface text:\n  " + "\n  ".join(english))
        problems.extend(f"{label}: {problem}" for problem in semantics_problems(page))
        problems.append(axe_report(page, label))
        assert not any(problems), "\n".join(problem for problem in problems if problem)

    @pytest.mark.parametrize("lang", LANGUAGES)
    def test_it_keeps_the_open_language_menu_inside_a_320px_wide_screen(
        self, page: Page, live_server: LiveServer, transactional_db: None, lang: str
    ) -> None:
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(f"{live_server.url}/{lang}/")
        page.locator("details.language-switcher > summary").click()
        menu = page.locator("details.language-switcher ul").bounding_box()
        assert menu is not None
        left, right = menu["x"], menu["x"] + menu["width"]
        assert left >= 0 and right <= 320, (
            f"{lang}: the open language menu spans {left:.0f}px to {right:.0f}px of a 320px screen"
        )
        assert_no_axe_violations(page, f"{lang}/home at 320px with the language menu open")
