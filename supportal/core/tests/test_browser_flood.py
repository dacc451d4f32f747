"""The bare 429 page of the flood guard (core/middleware.py) in Chromium: axe finds nothing
wrong with it in any of the four languages."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from playwright.sync_api import Browser

from supportal.browser_testing import assert_no_axe_violations
from supportal.core.middleware import _flood_refusal

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "ko", "ja", "zh-hans"])
def test_the_flood_refusal_page_has_no_axe_violations(browser: Browser, lang: str) -> None:
    refused = _flood_refusal(RequestFactory().get(f"/{lang}/help/"), 30)
    assert refused.status_code == 429
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.set_content(refused.content.decode())
        assert page.locator("main h1").count() == 1
        assert_no_axe_violations(page, f"flood refusal ({lang})")
    finally:
        context.close()
