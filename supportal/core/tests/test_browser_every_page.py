"""Every page type of `supportal.page_types`, in every language, in a real browser.

On the demo content, each person opens each of their pages, and each page is checked for:
- axe-core (WCAG 2.2 A and AA) finding nothing;
- screen-reader semantics: one `h1`, one `main`, the banner and footer landmarks, header cells
  in every table, every invalid field described by its error, and every region that htmx
  refreshes on a timer inside a live region that the refresh does not replace, or naming one
  (`data-live-region`) where it says what changed;
- layout shift under 0.05 while it loads, with each request 100 ms late so that what arrives
  after the first paint (htmx fragments) shows its shift; `test_browser_layout_shift.py` adds
  Lighthouse's full throttling for the main page types;
- `<html lang>` and no English interface text left on a page in another language;
- reflow: no sideways scrolling at 320 px (WCAG 1.4.10) and with text at 200 % (WCAG 1.4.4);
- in English, under Windows high contrast (forced colors) the first controls still show a focus
  ring, and with reduced motion nothing animates.

A new page type joins these checks by being listed in `PAGE_TYPES`, which
`test_page_types.py` makes the default.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import CharField, JSONField, TextField
from playwright.sync_api import Browser, CDPSession, Page, Request
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import (
    AXE_INIT_SCRIPT,
    OBSERVE_SHIFTS_JS,
    axe_report,
    english_interface_text,
    focused,
    login,
    semantics_problems,
    watched_page,
)
from supportal.core.management.commands.demo import DEMO_PASSWORD
from supportal.page_types import PAGE_TYPES, PEOPLE, PageType

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]
SHIFT_LIMIT = 0.05
LATE = {"offline": False, "latency": 100, "downloadThroughput": -1, "uploadThroughput": -1}
ON_TIME = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
QUIET_MS = 150  # no request in flight for this long: the page has loaded what it loads

# Nothing moves: every running animation and transition takes no time.
_MOTION_JS = """
() => [...document.querySelectorAll("*")].filter((el) => {
  const s = getComputedStyle(el);
  const long = (value) => value.split(",").some((t) => parseFloat(t) > 0.01);
  return (s.animationName !== "none" && long(s.animationDuration))
    || (s.transitionProperty !== "none" && long(s.transitionDuration));
}).map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")).slice(0, 5)
"""


_LINK = re.compile(r"https?://\S+")


def stored_text() -> set[str]:
    """Every piece of text the database holds (names, subjects, messages, line by line): data,
    which stays as typed whatever the page's language. Choices are left out: they are shown
    translated."""
    found: set[str] = set()

    def add(value: object) -> None:
        if isinstance(value, str):
            for line in value.splitlines():
                # A link in an email is its own element: the words around it are data too.
                found.update(part.strip() for part in re.split(_LINK, line) if part.strip())
        elif isinstance(value, dict):
            for item in value.values():
                add(item)
        elif isinstance(value, list):
            for item in value:
                add(item)

    for model in apps.get_models():
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, CharField | TextField | JSONField) and not field.choices
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                for value in row:
                    add(value)
    return found


class Sweep:
    """One browser context walking every page type in one language."""

    def __init__(self, page: Page, base_url: str, lang: str) -> None:
        self.page = page
        self.base_url = base_url
        self.lang = lang
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.in_flight: set[Request] = set()
        page.on("request", lambda request: self.in_flight.add(request))
        page.on("requestfinished", lambda request: self.in_flight.discard(request))
        page.on("requestfailed", lambda request: self.in_flight.discard(request))
        self.problems: list[str] = []
        self.shifts: dict[str, float] = {}
        self.seconds: dict[str, float] = defaultdict(float)  # per step, for the test's report
        self.data = stored_text()

    def sign_in(self, who: str | None) -> None:
        self.cdp.send("Network.emulateNetworkConditions", ON_TIME)
        self.page.context.clear_cookies()
        if who:
            login(self.page, self.base_url, PEOPLE[who], DEMO_PASSWORD, lang=self.lang)
        self.cdp.send("Network.emulateNetworkConditions", LATE)

    def settle(self) -> None:
        quiet = 0
        for _n in range(200):
            self.page.wait_for_timeout(50)
            quiet = 0 if self.in_flight else quiet + 50
            if quiet >= QUIET_MS:
                return

    def visit(self, page_type: PageType) -> None:
        path = page_type.path(self.lang)
        label = f"{self.lang} {page_type.name} ({path})"
        started = time.monotonic()
        response = self.page.goto(self.base_url + path)
        status = response.status if response else None
        if status != page_type.status:
            self.problems.append(f"{label}: HTTP {status}, expected {page_type.status}")
            return
        self.settle()
        self.seconds["load"] += time.monotonic() - started
        self._check(page_type, label)

    def _check(self, page_type: PageType, label: str) -> None:
        page = self.page
        shifts = page.evaluate("window.__layoutShifts")
        shift = sum(float(entry["value"]) for entry in shifts)
        self.shifts[page_type.name] = shift
        if shift >= SHIFT_LIMIT:
            moved = [source for entry in shifts for source in entry["sources"]]
            self.problems.append(f"{label}: layout shift {shift:.3f}: " + "; ".join(moved[:4]))
        html_lang = page.locator("html").get_attribute("lang")
        if html_lang != self.lang:
            self.problems.append(f"{label}: <html lang={html_lang!r}>")
        semantics = semantics_problems(page, frame=page_type.frame)
        self.problems.extend(f"{label}: {problem}" for problem in semantics)
        if self.lang != "en":
            english = english_interface_text(page, self.data)
            if english:
                self.problems.append(f"{label}: English interface text: " + "; ".join(english))
        started = time.monotonic()
        report = axe_report(page, label)
        if report:
            self.problems.append(report)
        self.seconds["axe"] += time.monotonic() - started
        started = time.monotonic()
        self._reflow(label)
        if self.lang == "en":
            self._high_contrast_and_motion(label)
        self.seconds["reflow and contrast"] += time.monotonic() - started

    def _reflow(self, label: str) -> None:
        page = self.page
        page.set_viewport_size({"width": 320, "height": 800})
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            self.problems.append(f"{label}: scrolls sideways at 320 px ({width} px wide)")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 1280:
            self.problems.append(f"{label}: scrolls sideways with text at 200 % ({width} px)")
        page.evaluate("document.documentElement.style.fontSize = ''")

    def _high_contrast_and_motion(self, label: str) -> None:
        page = self.page
        page.emulate_media(forced_colors="active", reduced_motion="reduce")
        try:
            for _n in range(3):
                page.keyboard.press("Tab")
                now = focused(page)
                if now is not None and not now["visible"]:
                    self.problems.append(
                        f"{label}: in high contrast {now['name']} shows no focus ring"
                    )
            moving = page.evaluate(_MOTION_JS)
            if moving:
                self.problems.append(f"{label}: moves with reduced motion asked: {moving}")
        finally:
            page.emulate_media(forced_colors="none", reduced_motion="no-preference")


@pytest.fixture
def sweep_page(browser: Browser, live_server: LiveServer, transactional_db: None) -> Iterator[Page]:
    with watched_page(
        browser,
        live_server,
        init_script=OBSERVE_SHIFTS_JS + ";\n" + AXE_INIT_SCRIPT,
        viewport={"width": 1280, "height": 800},
    ) as page:
        yield page


# One test per language and person, so that the parallel runs share them out evenly.
CASES = [
    pytest.param(lang, who, id=f"{lang}-{who or 'visitor'}")
    for lang in LANGUAGES
    for who in [None, *PEOPLE]
]


class EveryPageTests:
    @pytest.mark.parametrize(("lang", "who"), CASES)
    def test_every_page_type_is_accessible_still_and_in_its_language(
        self,
        sweep_page: Page,
        live_server: LiveServer,
        lang: str,
        who: str | None,
        page_content: None,
        record_property: pytest.RecordProperty,
    ) -> None:
        sweep = Sweep(sweep_page, live_server.url, lang)
        sweep.sign_in(who)
        pages = [page_type for page_type in PAGE_TYPES if page_type.who == who]
        for page_type in pages:
            sweep.visit(page_type)
        record_property("pages", len(sweep.shifts))
        for step, seconds in sweep.seconds.items():
            record_property(f"seconds {step}", f"{seconds:.1f}")
        assert not sweep.problems, (
            f"{len(sweep.problems)} problem(s) on {len(pages)} page types in {lang}:\n"
            + "\n".join(sweep.problems)
            + f"\n(seconds: { {step: round(s) for step, s in sweep.seconds.items()} })"
        )
