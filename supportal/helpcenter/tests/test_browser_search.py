"""The search page and its suggestions in a real browser: keyboard only, and axe in 4 languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations
from supportal.helpcenter.models import Article, SearchLog
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section

pytestmark = pytest.mark.browser

QUERIES = {"en": "password", "ko": "비밀번호", "ja": "パスワード", "zh-hans": "密码"}


def build() -> dict[str, Article]:
    section = make_section(
        {"en": "Accounts", "ko": "계정", "ja": "アカウント", "zh-hans": "账户"},
        {"en": "Signing in", "ko": "로그인", "ja": "ログイン", "zh-hans": "登录"},
    )
    titles = {
        "en": ("Reset your password", "Choose a new password on the sign-in page."),
        "ko": ("비밀번호 재설정", "로그인 화면에서 새 비밀번호를 정하세요."),
        "ja": ("パスワードの再設定", "ログイン画面で新しいパスワードを設定します。"),
        "zh-hans": ("重置密码", "在登录页面设置新密码。"),
    }
    found = {}
    for locale, (title, body) in titles.items():
        found[locale] = make_article(section, title, body, locale=locale)
        make_article(section, f"{title} (2)", body, locale=locale)
    return found


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {selector}")


class SearchKeyboardTests:
    def test_it_opens_a_suggestion_with_arrow_keys_and_enter(
        self, page: Page, live_server: LiveServer, transactional_db: None
    ) -> None:
        articles = build()
        page.goto(f"{live_server.url}/en/help/search/")
        tab_to(page, "#hc-search-page")
        page.keyboard.type("passw", delay=30)
        option = page.locator("#hc-search-page-listbox [role=option]").first
        expect(option).to_be_visible()
        box = page.locator("#hc-search-page")
        expect(box).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#hc-search-page-status")).to_contain_text("2")
        page.keyboard.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", "hc-search-page-option-1")
        expect(option).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Escape")
        expect(box).to_have_attribute("aria-expanded", "false")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", "hc-search-page-option-2")
        page.keyboard.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", "hc-search-page-option-1")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert re.search(rf"/en/help/articles/{articles['en'].pk}/$", page.url)

    def test_it_submits_with_enter_and_opens_a_result_by_keyboard(
        self, page: Page, live_server: LiveServer, transactional_db: None
    ) -> None:
        articles = build()
        page.goto(f"{live_server.url}/en/help/search/")
        tab_to(page, "#hc-search-page")
        page.keyboard.type("password reset", delay=10)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator(".search-result-title a")).to_have_count(2)
        expect(page.locator(".search-snippet mark").first).to_have_text("password")
        tab_to(page, ".search-result-title a")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert re.search(rf"/en/help/articles/{articles['en'].pk}/$", page.url)
        assert SearchLog.objects.get().clicked_article_id == articles["en"].pk


class SearchAccessibilityTests:
    @pytest.mark.parametrize("lang", list(QUERIES))
    def test_it_has_no_axe_violations(
        self, page: Page, live_server: LiveServer, transactional_db: None, lang: str
    ) -> None:
        build()
        page.goto(f"{live_server.url}/{lang}/help/search/?q={QUERIES[lang]}")
        expect(page.locator(".search-result-title a")).to_have_count(2)
        assert_no_axe_violations(page, f"search results ({lang})")
        page.locator("#hc-search-page").fill("")
        page.locator("#hc-search-page").press_sequentially(QUERIES[lang][:2], delay=30)
        expect(page.locator("#hc-search-page-listbox [role=option]").first).to_be_visible()
        assert_no_axe_violations(page, f"search suggestions ({lang})")
        page.goto(f"{live_server.url}/{lang}/help/search/?q=zzqxv")
        expect(page.locator(".search-empty")).to_be_visible()
        assert_no_axe_violations(page, f"no results ({lang})")
