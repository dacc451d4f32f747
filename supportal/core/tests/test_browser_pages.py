"""Every page of the foundation, in every language, in a real browser.

Each page is checked with axe-core (WCAG 2.2 A and AA), and for speaking the page's language
only: `<html lang>` matches the URL and no English interface text is left on a page in another
language. The home and sign-in pages are also checked on a 320px-wide screen (WCAG reflow).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.services import user_signup
from supportal.browser_testing import assert_no_axe_violations, axe_report, login
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


SCREENS = [
    Screen("home", lambda visit: visit.goto("/")),
    Screen("login", lambda visit: visit.goto("/accounts/login/")),
    Screen("login-failed", _login_failed, shows="#form-errors"),
    Screen("signup", lambda visit: visit.goto("/accounts/signup/")),
    Screen("signup-with-errors", _signup_with_errors, shows=".field-invalid .errorlist"),
    Screen("signup-done", _signup_done),
    Screen(
        "verify-invalid-token",
        lambda visit: visit.goto("/accounts/verify/bad-token/"),
        status=400,
        shows="main form input[name=email]",
    ),
    Screen("resend-verification", lambda visit: visit.goto("/accounts/verify/resend/")),
    Screen("password-reset", lambda visit: visit.goto("/accounts/password/reset/")),
    Screen("password-reset-sent", lambda visit: visit.goto("/accounts/password/reset/sent/")),
    Screen(
        "password-reset-invalid-link",
        lambda visit: visit.goto("/accounts/password/reset/MQ/bad-token/"),
        status=400,
    ),
    Screen("profile", _as("customer", "/accounts/profile/")),
    Screen("password-change", _as("customer", "/accounts/password/change/")),
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

# Every piece of text a person may read or hear: text nodes, the title and the attributes that
# assistive technology announces. Parts marked with another `lang` (the language menu's
# "English") are meant to be in that language; options that only show their stored value (time
# zone names) are identifiers.
_INTERFACE_TEXT_JS = """
() => {
  const lang = document.documentElement.lang;
  const inOtherLanguage = (el) => {
    const owner = el.closest("[lang]");
    return owner !== null && owner.lang !== lang;
  };
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) {
      name += "." + el.className.trim().split(/\\s+/).join(".");
    }
    return name;
  };
  const texts = [[document.title, "title"]];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, template") || inOtherLanguage(el)) continue;
    const option = el.closest("option");
    if (option && option.textContent.trim() === option.value.replace(/_/g, " ")) continue;
    texts.push([node.textContent, describe(el)]);
  }
  const attributes = ["aria-label", "title", "placeholder", "alt", "aria-description"];
  for (const el of document.body.querySelectorAll("*")) {
    if (inOtherLanguage(el)) continue;
    for (const attribute of attributes) {
      if (el.hasAttribute(attribute)) {
        texts.push([el.getAttribute(attribute), describe(el) + "[" + attribute + "]"]);
      }
    }
    if (el.matches("input[type=submit], input[type=button], input[type=reset]")) {
      texts.push([el.value, describe(el) + "[value]"]);
    }
  }
  return texts;
}
"""
_NOT_WORDS = [
    re.compile(r"https?://\S+"),  # links in an email body
    re.compile(r"\S+@\S+"),  # email addresses
    re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![A-Za-z0-9_])"),  # EMAIL_URL
]
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A letter outside ASCII: Hangul, kana, Han. A translated sentence may keep a Latin loanword
# ("URL", "Email"); a string nobody translated has no other letters at all.
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")


def english_interface_text(page: Page, data: set[str]) -> list[str]:
    """Interface text on the page that is still in English, with the element it is in."""
    keep = {"Supportal"} | {name for _code, name in settings.LANGUAGES} | data
    found: list[str] = []
    for text, where in page.evaluate(_INTERFACE_TEXT_JS):
        rest = text
        for pattern in _NOT_WORDS:
            rest = pattern.sub(" ", rest)
        for word in sorted(keep, key=len, reverse=True):
            rest = rest.replace(word, " ")
        if _LATIN_WORD.search(rest) and not _OTHER_LETTER.search(rest):
            line = f"{' '.join(text.split())!r} in {where}"
            if line not in found:
                found.append(line)
    return found


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
        problems.append(axe_report(page, label))
        assert not any(problems), "\n".join(problem for problem in problems if problem)

    @pytest.mark.parametrize(
        ("lang", "screen"),
        [
            pytest.param(lang, screen, id=f"{lang}-{screen.name}")
            for lang in LANGUAGES
            for screen in SCREENS
            if screen.name in ("home", "login")
        ],
    )
    def test_it_fits_a_320px_wide_screen(
        self, open_screen: Callable[[str, Screen], Visit], page: Page, lang: str, screen: Screen
    ) -> None:
        page.set_viewport_size({"width": 320, "height": 800})
        open_screen(lang, screen)
        assert_no_axe_violations(page, f"{lang}/{screen.name} at 320px")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 320, f"{lang}/{screen.name} scrolls sideways: {scroll_width}px wide"

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
