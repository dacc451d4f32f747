"""No page moves after its first paint: cumulative layout shift under 0.05 on the main page
types (`main=True` in supportal/page_types.py), on the demo content.

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

from supportal.browser_testing import OBSERVE_SHIFTS_JS, login, watched_page
from supportal.core.management.commands.demo import DEMO_PASSWORD
from supportal.page_types import MAIN_PAGE_TYPES, PEOPLE

pytestmark = pytest.mark.browser

LIMIT = 0.05  # Google's "good" CLS is 0.1; we keep half of that as a margin.

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


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer, transactional_db: None) -> Iterator[Page]:
    """One phone-sized browser context for all pages; fails if it reached beyond the server."""
    with watched_page(browser, live_server, init_script=OBSERVE_SHIFTS_JS, **PHONE) as page:
        yield page


def _sign_in(page: Page, cdp: CDPSession, base_url: str, who: str | None) -> None:
    page.context.clear_cookies()
    if who:
        cdp.send("Network.emulateNetworkConditions", FULL_SPEED)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        login(page, base_url, PEOPLE[who], DEMO_PASSWORD, lang=LANG)
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
        page_content: None,
        record_property: pytest.RecordProperty,
    ) -> None:
        cdp = phone.context.new_cdp_session(phone)
        cdp.send("Network.enable")

        measured: list[Measured] = []
        persona: str | None = "nobody yet"
        for page_type in sorted(MAIN_PAGE_TYPES, key=lambda p: [None, *PEOPLE].index(p.who)):
            if page_type.who != persona:
                _sign_in(phone, cdp, live_server.url, page_type.who)
                persona = page_type.who
            path = page_type.path(LANG)
            entries = _measure(phone, cdp, live_server.url + path)
            shift = sum(float(entry["value"]) for entry in entries)  # type: ignore[arg-type]
            measured.append(Measured(page_type.name, path, shift, entries))
            record_property(f"cls {page_type.name}", f"{shift:.4f}")

        moving = [page for page in measured if page.shift >= LIMIT]
        assert not moving, (
            f"{len(moving)} page(s) shift by {LIMIT} or more while loading:\n\n"
            + "\n\n".join(page.report() for page in moving)
            + "\n\nAll pages: "
            + ", ".join(f"{page.name} {page.shift:.4f}" for page in measured)
        )
