"""Pytest plugin: collected static files for every test, and a real Chromium for browser tests.

Browser tests are marked `@pytest.mark.browser` and take `page` (a fresh browser context on the
one Chromium of the session), `live_server` and `transactional_db`, so that the server thread sees
the rows the test writes. A page may make requests to the live server only: Supportal loads
nothing from third parties, so any other host, a failed asset or a Content-Security-Policy refusal
fails the test.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.staticfiles import handlers as staticfiles_handlers
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)
from playwright.sync_api import (
    TimeoutError as PlaywrightTimeoutError,
)
from pytest_django.live_server_helper import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Without these Chromium tries to reach Google's hosts, which the tests would count as
    # third-party requests (and which are not reachable here anyway).
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
# Sub-resources whose failure would make a page look or behave differently from production.
ASSET_TYPES = {"stylesheet", "script", "font", "image"}
LOCAL_SCHEMES = {"data", "blob", "about"}

_axe = Axe()


# --- Static files --------------------------------------------------------------------------------


class _StaticThroughWhiteNoise(staticfiles_handlers.StaticFilesHandler):
    """The live server's static handler, passing every request on to the application.

    Django's handler serves the source files found by the finders, which have no hashed names,
    so every `{% static %}` URL from the manifest would be a 404. In production WhiteNoise
    serves the collected files; let it do the same in the live server.
    """

    def _should_handle(self, path: str) -> bool:
        return False


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs collectstatic once per session into a temporary STATIC_ROOT.

    Templates name static files through WhiteNoise's manifest, so any test that renders a page
    needs it. Keeping only the hashed copies halves the time spent compressing.
    """
    root = tmp_path_factory.mktemp("static")
    override = override_settings(STATIC_ROOT=str(root), WHITENOISE_KEEP_ONLY_HASHED_FILES=True)
    override.enable()
    patch = pytest.MonkeyPatch()
    # pytest-django's LiveServer looks this class up when the (session-wide) server starts.
    patch.setattr(staticfiles_handlers, "StaticFilesHandler", _StaticThroughWhiteNoise)
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root
    finally:
        patch.undo()
        override.disable()


# --- Browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


class NetworkLog:
    """Every request a browser context makes, and the problems among them."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.foreign: list[str] = []
        self.broken: list[str] = []
        self.refused: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_request_failed)
        context.on("console", self._on_console)

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in LOCAL_SCHEMES:
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign.append(f"{request.method} {request.url} ({request.resource_type})")

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type in ASSET_TYPES and response.status >= 400:
            self.broken.append(f"{response.status} {response.url}")

    def _on_request_failed(self, request: Request) -> None:
        if request.resource_type in ASSET_TYPES:
            self.broken.append(f"{request.failure} {request.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        # The Content-Security-Policy stops most third-party loads before they become requests;
        # Chromium reports each refusal on the console.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.refused.append(" ".join(message.text.split())[:300])

    def problems(self) -> list[str]:
        return (
            [f"third-party request: {line}" for line in self.foreign]
            + [f"asset failed to load: {line}" for line in self.broken]
            + [f"refused by the Content-Security-Policy: {line}" for line in self.refused]
        )


@contextmanager
def watched_page(
    browser: Browser, live_server: LiveServer, *, init_script: str = "", **options: Any
) -> Iterator[Page]:
    """A page in a fresh browser context (`options`: Playwright's new_context arguments, an
    `init_script` run before each page's own); fails the test if it reached beyond the live
    server."""
    context = browser.new_context(**options)
    if init_script:
        context.add_init_script(init_script)
    log = NetworkLog(origin=live_server.url)
    log.watch(context)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        context.close()
    problems = log.problems()
    if problems:
        pytest.fail("The browser reported:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, transactional_db: None) -> Iterator[Page]:
    """A page in a fresh browser context; fails the test if it reached beyond the live server.

    It asks for the database first so it is closed before the database is flushed: a page
    being closed can still send requests (a timing beacon), which must not meet the flush.
    """
    with watched_page(browser, live_server, viewport={"width": 1280, "height": 800}) as new_page:
        yield new_page


@pytest.fixture
def page_content(transactional_db: None, settings: Any) -> None:
    """The demo content and what supportal/page_types.py adds to it, for the tests that open
    every page type. The pages, not the search model: it loads without embedding anything."""
    from supportal.page_types import load_page_content

    settings.SEMANTIC_MODEL = "none"
    load_page_content()


# --- Helpers -------------------------------------------------------------------------------------


# For a browser context that opens many pages: axe-core on every page before its own scripts
# (`watched_page(..., init_script=AXE_INIT_SCRIPT)`), so a check does not inject it each time.
AXE_INIT_SCRIPT = _axe.axe_script


def axe_report(page: Page, context_label: str) -> str:
    """Runs axe-core on the page as it is now, for WCAG 2.2 A and AA; "" when nothing is wrong."""
    if page.evaluate("typeof window.axe !== 'undefined'"):
        violations = page.evaluate(
            "(options) => axe.run(document, options).then((r) => r.violations)", AXE_OPTIONS
        )
    else:
        violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    if not violations:
        return ""
    lines = [f"{context_label}: {len(violations)} accessibility rule(s) violated"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{len(violation['nodes'])} element(s)] {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            html = " ".join(node["html"].split())
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    target: {node['target'][0]}")
            lines.append(f"    html:   {html[:300]}")
            if summary:
                lines.append(f"    why:    {summary[:400]}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page, context_label: str) -> None:
    report = axe_report(page, context_label)
    if report:
        pytest.fail(report, pytrace=False)


def login(
    page: Page, live_server_url: str, user_email: str, password: str, lang: str = "en"
) -> None:
    """Signs in through the real sign-in form and checks that it worked."""
    page.goto(f"{live_server_url}/{lang}/accounts/login/")
    form = page.locator("main form[method=post]")
    form.locator("input[name=username]").fill(user_email)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if page.locator("form[action$='/accounts/logout/']").count() != 1:
        errors = page.locator("#form-errors")
        detail = errors.inner_text() if errors.count() else page.url
        pytest.fail(f"Signing in as {user_email} failed: {detail}", pytrace=False)


# --- Language ------------------------------------------------------------------------------------

# Every piece of text a person may read or hear: text nodes, the title and the attributes that
# assistive technology announces. Parts marked with another `lang` (the language menu's
# "English") are meant to be in that language; options that only show their stored value (time
# zone names) are identifiers.
_INTERFACE_TEXT_JS = """
() => {
  const lang = document.documentElement.lang;
  // Text in another language, or not language at all: code, keys, identifiers marked
  // translate="no" (language codes, browser names, a secret to type).
  const inOtherLanguage = (el) => {
    const owner = el.closest("[lang]");
    return (owner !== null && owner.lang !== lang) || el.closest("code, kbd, samp, [translate=no]");
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
    re.compile(r"\b\d+(?:\.\d+)?\s?(?:bytes|KB|MB|GB|ms)\b"),  # sizes and durations
]
# Words every language keeps as they are.
_KEPT_WORDS = {"Supportal", "API", "Message-ID"}
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A letter outside ASCII: Hangul, kana, Han. A translated sentence may keep a Latin loanword
# ("URL", "Email"); a string nobody translated has no other letters at all.
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")


def english_interface_text(page: Page, data: Collection[str]) -> list[str]:
    """Interface text on the page that is still in English, with the element it is in. `data`:
    text that stays as typed whatever the page's language (names, subjects)."""
    kept = _kept_pattern(frozenset(data))
    found: list[str] = []
    for text, where in page.evaluate(_INTERFACE_TEXT_JS):
        if _OTHER_LETTER.search(text):
            continue  # translated: it may keep a loanword, a name or a code
        # Links, addresses and sizes out first, from the data too (_kept_pattern), so that a
        # short piece of data ("7") cannot break a size ("1.7 KB") apart.
        rest = kept.sub(" ", _without_non_words(text))
        if _LATIN_WORD.search(rest):
            line = f"{' '.join(text.split())!r} in {where}"
            if line not in found:
                found.append(line)
    return found


def _without_non_words(text: str) -> str:
    for pattern in _NOT_WORDS:
        text = pattern.sub(" ", text)
    return text


@functools.lru_cache(maxsize=4)
def _kept_pattern(data: frozenset[str]) -> re.Pattern[str]:
    words = {_without_non_words(word).strip() for word in data} - {""}
    words |= _KEPT_WORDS | {name for _code, name in settings.LANGUAGES}
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))


# --- Layout shift --------------------------------------------------------------------------------

# Registered before any of the page's own scripts: `buffered` also hands over the shifts that
# happened before it. Each shift keeps the elements that moved and where they went. The phone is
# a viewport only, without `is_mobile` and touch: under that emulation Chromium marks shifts as
# following an input (crbug.com/1094974), so `hadRecentInput` hid the real ones.
OBSERVE_SHIFTS_JS = """
(() => {
  window.__layoutShifts = [];
  const describe = (node) => {
    if (!node) return "(removed node)";
    if (node.nodeType !== 1) node = node.parentElement || node;
    let name = (node.tagName || "#text").toLowerCase();
    if (node.id) name += "#" + node.id;
    if (typeof node.className === "string" && node.className.trim()) {
      name += "." + node.className.trim().split(/\\s+/).join(".");
    }
    const parent = node.parentElement;
    if (parent && parent !== document.body) {
      let up = parent.tagName.toLowerCase();
      if (parent.id) up += "#" + parent.id;
      else if (typeof parent.className === "string" && parent.className.trim()) {
        up += "." + parent.className.trim().split(/\\s+/).join(".");
      }
      name = up + " > " + name;
    }
    return name;
  };
  const rect = (r) =>
    `${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      window.__layoutShifts.push({
        value: entry.value,
        at: Math.round(entry.startTime),
        sources: (entry.sources || []).map(
          (s) => `${describe(s.node)}: ${rect(s.previousRect)} -> ${rect(s.currentRect)}`
        ),
      });
    }
  }).observe({ type: "layout-shift", buffered: true });
})();
"""


# --- Semantics -----------------------------------------------------------------------------------

# Screen-reader semantics of the page as it is now; each problem as a sentence.
_SEMANTICS_JS = """
(frame) => {
  const problems = [];
  const shown = (el) => el.getClientRects().length > 0;
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    else if (typeof el.className === "string" && el.className.trim()) {
      text += "." + el.className.trim().split(/\\s+/).join(".");
    }
    return text;
  };
  const h1 = [...document.querySelectorAll("h1")].filter(shown);
  if (h1.length !== 1) problems.push(`${h1.length} h1 headings, expected one`);
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  if (!frame) {
    if (!document.querySelector("body > header, [role=banner]")) problems.push("no banner");
    if (!document.querySelector("body > footer, [role=contentinfo]")) {
      problems.push("no contentinfo footer");
    }
  }
  for (const table of document.querySelectorAll("table")) {
    if (shown(table) && !table.querySelector("th")) {
      problems.push(`${name(table)} has no header cells`);
    }
  }
  const described = (el) => (el.getAttribute("aria-describedby") || "").split(/\\s+/)
    .map((id) => id && document.getElementById(id)).filter(Boolean);
  for (const field of document.querySelectorAll("[aria-invalid=true]")) {
    if (!described(field).some((el) => el.textContent.trim())) {
      problems.push(`${name(field)} is invalid but no error describes it`);
    }
  }
  for (const errors of document.querySelectorAll(".field .errorlist, .field-invalid .errorlist")) {
    const field = errors.closest(".field, .field-invalid");
    const controls = field ? field.querySelectorAll("input, select, textarea") : [];
    const tied = [...controls].some((c) => described(c).some((el) => el.contains(errors)));
    if (shown(errors) && controls.length && !tied) {
      problems.push(`the error "${errors.textContent.trim()}" is not tied to its field`);
    }
  }
  const live = "[aria-live], [role=status], [role=log], [role=alert], output";
  for (const el of document.querySelectorAll("[hx-trigger*=every]")) {
    const swap = (el.getAttribute("hx-swap") || "innerHTML").split(" ")[0];
    if (swap === "none") continue;
    const kept = swap === "outerHTML" ? el.parentElement : el;
    // Or it says what changed in a live region of its own (the SLA clocks, the inbox counts).
    const said = document.getElementById(el.dataset.liveRegion || "");
    if ((!kept || !kept.closest(live)) && !(said && said.matches(live))) {
      problems.push(`${name(el)} is refreshed on a timer outside a live region`);
    }
  }
  return problems;
}
"""


def semantics_problems(page: Page, *, frame: bool = False) -> list[str]:
    """What a screen reader would miss on the page as it is now, each as a sentence: one h1,
    one main, the banner and contentinfo (not for a page made for an iframe), header cells in
    tables, errors tied to their fields, timed htmx refreshes in live regions."""
    return page.evaluate(_SEMANTICS_JS, frame)


# --- Keyboard ------------------------------------------------------------------------------------

_FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const s = getComputedStyle(el);
  let name = el.tagName.toLowerCase();
  if (el.id) name += "#" + el.id;
  const label = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim();
  return {
    name: name + (label ? ` "${label.split(/\\s+/).join(" ").slice(0, 60)}"` : ""),
    visible:
      (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none",
    connected: el.isConnected,
  };
}
"""


def focused(page: Page) -> dict[str, Any] | None:
    """What has the keyboard focus: its name, and whether its focus ring shows; None when the
    focus fell back to the page (lost after a swap, say)."""
    return page.evaluate(_FOCUS_JS)


def assert_focus_visible(page: Page, where: str) -> dict[str, Any]:
    """The focus is on an element of the page, and that element shows a focus ring."""
    now = focused(page)
    if now is None:
        pytest.fail(f"{where}: the focus was lost (it is on the page itself)", pytrace=False)
    if not now["visible"]:
        pytest.fail(f"{where}: {now['name']} has the focus but shows no focus ring", pytrace=False)
    return now


def tab_to(page: Page, selector: str, *, limit: int = 150, backwards: bool = False) -> None:
    """Presses Tab (or Shift+Tab) until the first element matching `selector` has the focus,
    which must show a focus ring when it does."""
    key = "Shift+Tab" if backwards else "Tab"
    for _n in range(limit):
        page.keyboard.press(key)
        if page.evaluate(
            "(s) => { const el = document.querySelector(s);"
            " return el !== null && el === document.activeElement; }",
            selector,
        ):
            assert_focus_visible(page, f"Tab to {selector}")
            return
    pytest.fail(f"{limit} presses of {key} never reached {selector}", pytrace=False)


_FOCUS_IN_JS = (
    "(s) => { const el = document.querySelector(s);"
    " return el !== null && el.contains(document.activeElement); }"
)


def assert_focus_in(page: Page, selector: str, where: str) -> None:
    """The focus is on or inside `selector`, with a focus ring. htmx moves the focus when the
    new content settles, a moment after it is on the page: wait for that moment."""
    try:
        page.wait_for_function(_FOCUS_IN_JS, arg=selector, timeout=2000)
    except PlaywrightTimeoutError:
        pytest.fail(f"{where}: the focus is on {focused(page)}, not in {selector}", pytrace=False)
    assert_focus_visible(page, where)
