"""No page moves after its first paint: cumulative layout shift under 0.05 on every page type.

Each page is opened the way Lighthouse's mobile defaults open it (a 412 x 823 phone screen, the
CPU four times slower, slow 4G, an empty cache), because at full speed the browser lays a page
out once and no shift shows. Whatever arrives later (htmx fragments, deferred scripts) must
land in space kept for it, or be rendered on the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, CDPSession, Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import login, watched_page
from supportal.helpcenter.tests.test_pages_fixtures import build_content
from supportal.semantic import index
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import Status
from supportal.tickets.services import ticket_reply

pytestmark = pytest.mark.browser

LIMIT = 0.05  # Google's "good" CLS is 0.1; we keep half of that as a margin.

# Every page type: (name, path, persona). Adding a page is adding a line. The path may name
# {ticket} (the customer's request), {article} (a published article) and {lang}; the persona is
# an attribute of supportal.test.Personas, or None for a visitor. Pages run in this order, and
# the browser signs in again only when the persona changes, so keep each persona's lines
# together.
PAGES: list[tuple[str, str, str | None]] = [
    ("help-center home", "/{lang}/help/", None),
    ("article", "/{lang}/help/articles/{article}/", None),
    ("search results", "/{lang}/help/search/?q=password", None),
    ("FAQ", "/{lang}/help/faq/", None),
    ("announcements", "/{lang}/help/announcements/", None),
    ("sign-in", "/{lang}/accounts/login/", None),
    ("home, signed in", "/{lang}/", "customer"),
    ("my requests", "/{lang}/requests/", "customer"),
    ("a request", "/{lang}/requests/{ticket}/", "customer"),
    ("new request form", "/{lang}/requests/new", "customer"),
    ("profile", "/{lang}/accounts/profile/", "customer"),
    ("inbox", "/{lang}/agent/", "agent"),
    ("agent request page", "/{lang}/agent/requests/{ticket}/", "agent"),
    ("article list", "/{lang}/agent/help/", "agent"),
    ("article editor", "/{lang}/agent/help/articles/{article}/en/", "agent"),
    ("macro settings", "/{lang}/agent/manage/macros/", "agent"),
    ("group settings", "/{lang}/agent/manage/groups/", "admin"),
]
LANG = "en"

# Lighthouse 12's mobile defaults: a Moto G Power screen, 4x CPU slowdown, "slow 4G".
PHONE = {
    "viewport": {"width": 412, "height": 823},
    "device_scale_factor": 1.75,
}
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
FULL_SPEED = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
CPU_SLOWDOWN = 4
SETTLE_MS = 1000  # quiet time after the last request, for a late swap to be laid out

# Registered before any of the page's own scripts: `buffered` also hands over the shifts that
# happened before it. Each shift keeps the elements that moved and where they went. The phone is
# a viewport only, without `is_mobile` and touch: under that emulation Chromium marks shifts as
# following an input (crbug.com/1094974), so `hadRecentInput` hid the real ones.
_OBSERVE_SHIFTS_JS = """
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
_QUIET_JS = "() => !document.querySelector('.htmx-request, [aria-busy=true]')"


@dataclass
class Measured:
    name: str
    path: str
    shift: float
    entries: list[dict[str, object]]

    def report(self) -> str:
        lines = [f"{self.name} ({self.path}): CLS {self.shift:.4f}"]
        for entry in self.entries:
            lines.append(f"  {entry['value']:.4f} at {entry['at']} ms")
            lines.extend(f"    {source}" for source in entry["sources"])  # type: ignore[attr-defined]
        return "\n".join(lines)


@pytest.fixture(autouse=True)
def _fresh_vectors() -> Iterator[None]:
    index.clear()
    yield
    index.clear()


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer, transactional_db: None) -> Iterator[Page]:
    """One phone-sized browser context for all pages; fails if it reached beyond the server."""
    with watched_page(browser, live_server, init_script=_OBSERVE_SHIFTS_JS, **PHONE) as page:
        yield page


def _sign_in(page: Page, cdp: CDPSession, base_url: str, personas: Personas, who: str) -> None:
    page.context.clear_cookies()
    if who:
        cdp.send("Network.emulateNetworkConditions", FULL_SPEED)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        login(page, base_url, getattr(personas, who).email, PASSWORD, lang=LANG)
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def _measure(page: Page, cdp: CDPSession, url: str) -> list[dict[str, object]]:
    # Lighthouse loads with an empty cache; the server's page cache is left as it is.
    cdp.send("Network.clearBrowserCache")
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")
    page.wait_for_function(_QUIET_JS)
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_function(_QUIET_JS)
    return page.evaluate("window.__layoutShifts")


class LayoutShiftTests:
    def test_it_keeps_every_page_still_while_it_loads(
        self,
        phone: Page,
        live_server: LiveServer,
        personas: Personas,
        record_property: pytest.RecordProperty,
    ) -> None:
        content = build_content()
        ticket = make_ticket(
            personas.customer,
            "Cannot sign in",
            "The sign-in page says my password is wrong.",
            group=personas.support,
        )
        ticket_reply(ticket=ticket, author=personas.agent, body="Which browser do you use?")
        solved = make_ticket(
            personas.outsider,
            "Login fails",
            "My password is rejected every time I try to log in.",
            group=personas.support,
        )
        ticket_reply(
            ticket=solved,
            author=personas.agent,
            body="Reset it from the sign-in page.",
            status=Status.SOLVED,
        )
        ids = {"lang": LANG, "ticket": ticket.pk, "article": content.public.pk}
        cdp = phone.context.new_cdp_session(phone)
        cdp.send("Network.enable")

        measured: list[Measured] = []
        persona: str | None = "nobody yet"
        for name, template, who in PAGES:
            if who != persona:
                _sign_in(phone, cdp, live_server.url, personas, who or "")
                persona = who
            path = template.format(**ids)
            entries = _measure(phone, cdp, live_server.url + path)
            shift = sum(float(entry["value"]) for entry in entries)  # type: ignore[arg-type]
            measured.append(Measured(name, path, shift, entries))
            record_property(f"cls {name}", f"{shift:.4f}")

        moving = [page for page in measured if page.shift >= LIMIT]
        assert not moving, (
            f"{len(moving)} page(s) shift by {LIMIT} or more while loading:\n\n"
            + "\n\n".join(page.report() for page in moving)
            + "\n\nAll pages: "
            + ", ".join(f"{page.name} {page.shift:.4f}" for page in measured)
        )
