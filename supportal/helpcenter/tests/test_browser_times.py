"""Times on pages every visitor shares: rendered in the site's zone (one copy for everyone and
for a CDN), shown by static/js/app.js in the browser's own zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from supportal.helpcenter.tests.test_pages_fixtures import build_content
from supportal.test import Personas

pytestmark = pytest.mark.browser


def test_a_visitor_sees_an_articles_time_in_their_own_zone(
    browser: Browser,
    live_server: LiveServer,
    transactional_db: None,
    personas: Personas,
    settings: Any,
) -> None:
    settings.TIME_ZONE = "UTC"
    content = build_content()
    updated = content.public.translations.get(locale="en").updated_at
    seoul = updated.astimezone(ZoneInfo("Asia/Seoul"))
    context = browser.new_context(timezone_id="Asia/Seoul", locale="en-US")
    try:
        page = context.new_page()
        response = page.goto(f"{live_server.url}/en/help/articles/{content.public.pk}/")
        assert response is not None and response.headers["cache-control"].startswith("public")
        shown = page.locator(".hc-meta time")
        expect(shown).to_contain_text(f"{seoul.hour % 12 or 12}:{seoul.minute:02d}")
        expect(shown).to_contain_text(f"{seoul:%B} {seoul.day}, {seoul.year}")
        # The same copy in the site's zone for a browser there: the page is left as it came.
        utc_context = browser.new_context(timezone_id="UTC", locale="en-US")
        try:
            utc_page = utc_context.new_page()
            utc_page.goto(f"{live_server.url}/en/help/articles/{content.public.pk}/")
            server_text = utc_page.locator(".hc-meta time").inner_text()
            assert f"{updated.astimezone(ZoneInfo('UTC')).day}," in server_text
            assert shown.inner_text() != server_text
        finally:
            utc_context.close()
    finally:
        context.close()
