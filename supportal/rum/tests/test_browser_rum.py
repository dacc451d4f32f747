"""static/js/rum.js in Chromium: a page view's beacon reaches /rum/ and the admins' page, and a
browser with Global Privacy Control or Do Not Track sends nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.rum.models import BrowserError, TimingBucket
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

PRIVACY_SIGNALS = {
    "Global Privacy Control": (
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    ),
    "Do Not Track": "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})",
}

LEAVE = "window.dispatchEvent(new Event('pagehide'))"


def test_a_page_view_is_reported_and_shown_to_admins_but_not_against_a_privacy_signal(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    transactional_db: None,
    personas: Personas,
    settings: Any,
) -> None:
    settings.RUM_SAMPLE_RATE = 1
    help_center = f"{live_server.url}/en/help/"
    beacon_url = f"{live_server.url}/rum/"

    page.goto(help_center)
    page.locator("h1").click()  # an interaction, for INP
    page.evaluate("setTimeout(() => { throw new Error('rum test boom') }, 0)")
    page.wait_for_function("document.readyState === 'complete'")
    # Leaving the page is what sends the beacon; Chromium does not show Playwright the requests
    # of a page being unloaded, so the page is told it is being left without going.
    with page.expect_request(beacon_url) as sent:
        page.evaluate(LEAVE)
    beacon = sent.value
    body = json.loads(beacon.post_data or "")
    assert body["page"] == "helpcenter:home"
    assert set(body["metrics"]) == {"ttfb", "dcl", "load", "lcp", "cls", "inp"}
    assert "rum test boom" in body["errors"][0]["message"]
    response = beacon.response()
    assert response is not None and response.status == 204
    stored = set(TimingBucket.objects.filter(page_type="helpcenter:home").values_list("metric"))
    assert stored == {("ttfb",), ("dcl",), ("load",), ("lcp",), ("cls",), ("inp",)}
    assert BrowserError.objects.filter(message__contains="rum test boom").count() == 1

    for signal, script in PRIVACY_SIGNALS.items():
        context = browser.new_context()
        context.add_init_script(script)
        private = context.new_page()
        requests: list[str] = []
        private.on("request", lambda request, seen=requests: seen.append(request.url))
        private.goto(help_center)
        private.locator("h1").click()
        private.wait_for_function("document.readyState === 'complete'")
        # A request after the page is left: a beacon would have been seen before it.
        with private.expect_request(f"{live_server.url}/healthz"):
            private.evaluate(LEAVE + "; fetch('/healthz')")
        context.close()
        assert beacon_url not in requests, signal

    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/performance/")
    timings = page.get_by_role("region", name="Timings by page type")
    assert timings.get_by_role("rowheader", name="helpcenter:home").is_visible()
    errors = page.get_by_role("region", name="Script errors")
    assert errors.get_by_text("rum test boom").is_visible()
    assert_no_axe_violations(page, "performance page")
