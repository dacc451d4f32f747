"""The customer help-center pages in a real browser: axe in every language, keyboard reading."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations
from supportal.helpcenter.models import Notice, NoticeTranslation
from supportal.helpcenter.tests.test_pages_fixtures import build_content
from supportal.test import Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def make_notice() -> Notice:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    notice = Notice.objects.create(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    for locale, message in [
        ("en", "Planned maintenance tonight."),
        ("ko", "오늘 밤 점검이 있습니다."),
    ]:
        NoticeTranslation.objects.create(notice=notice, locale=locale, message=message)
    return notice


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_help_center_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    content = build_content()
    make_notice()
    base = f"{live_server.url}/{lang}/help"
    pages = {
        "home": f"{base}/",
        "category": f"{base}/categories/{content.category.pk}/",
        "section": f"{base}/sections/{content.section.pk}/",
        "article with a table of contents": f"{base}/articles/{content.public.pk}/",
        "announcements": f"{base}/announcements/",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")
    assert page.goto(f"{base}/articles/{content.public.pk}/") is not None
    assert page.locator(".hc-toc a").count() == 3
    if lang != settings.LANGUAGE_CODE:
        page.goto(f"{base}/articles/{content.english_only.pk}/")
        assert page.locator(".hc-note").is_visible()
        assert page.locator("article.hc-article").get_attribute("lang") == "en"
        assert_no_axe_violations(page, f"{lang} article with the fallback note")
    page.goto(f"{base}/faq/")
    page.locator("details.hc-faq-item summary").first.click()
    assert page.locator("details.hc-faq-item").first.get_attribute("open") is not None
    assert_no_axe_violations(page, f"{lang} FAQ with an open question")


def _tab_to(page: Page, text: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.textContent")
        if focused and focused.strip() == text:
            return
    pytest.fail(f"Tab never reached {text!r}", pytrace=False)


def test_help_center_can_be_read_with_the_keyboard_only(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    build_content()
    page.goto(f"{live_server.url}/en/help/")
    _tab_to(page, "Accounts")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Accounts"
    _tab_to(page, "Change your language")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Change your language"
    # The vote works from the keyboard too (htmx swaps in the thanks).
    _tab_to(page, "Yes")
    page.keyboard.press("Enter")
    page.locator("#article-feedback").get_by_text("Thank you for your feedback.").wait_for()


def test_the_notice_is_dismissed_at_once_with_javascript(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    make_notice()
    page.goto(f"{live_server.url}/en/help/")
    banner = page.locator("#site-notice")
    assert banner.is_visible()
    with page.expect_response(lambda r: "/dismiss/" in r.url):
        banner.get_by_role("button").click()
    assert banner.is_hidden()
    assert page.url == f"{live_server.url}/en/help/"
    page.reload()
    assert page.locator("#site-notice").count() == 0
