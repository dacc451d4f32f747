"""The editor's main screens in a real browser, in every language: axe-core finds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.helpcenter import services
from supportal.helpcenter.models import ArticleRevision
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class EditorBrowserTests:
    # The states of these pages in one language; every page type runs in all four in
    # core/tests/test_browser_every_page.py.
    @pytest.mark.parametrize("lang", ["zh-hans"])
    def test_the_list_editor_and_diff_are_accessible(
        self,
        page: Page,
        live_server: LiveServer,
        transactional_db: None,
        personas: Personas,
        lang: str,
    ) -> None:
        category = services.category_create(names={"en": "Accounts", "ko": "계정"})
        section = services.section_create(category=category, names={"en": "Passwords"})
        article = services.article_create(section=section, labels=["faq"])
        for body in ("Old first line\nsame", "New first line\nsame\nadded"):
            services.translation_save(
                article=article,
                locale="en",
                title="Reset your password",
                body=body,
                status="published",
                author=personas.agent,
            )
        services.translation_save(
            article=article, locale="ja", title="パスワード", body="", status="draft"
        )
        first = ArticleRevision.objects.filter(translation__locale="en").order_by("id").first()
        assert first is not None
        base = f"{live_server.url}/{lang}/agent/help"
        login(page, live_server.url, personas.agent.email, PASSWORD, lang=lang)

        page.goto(f"{base}/")
        assert page.locator("main table .translation-states").count() == 1
        assert_no_axe_violations(page, f"{lang}/article list")

        page.goto(f"{base}/articles/{article.pk}/en/")
        page.locator("textarea[name=body]").fill(
            "## Before you start\n\nText with [a link](https://example.test).\n\n### Step one\n"
        )
        with page.expect_navigation():
            page.locator("button[name=action][value=preview]").click()
        assert page.locator("#preview h2#before-you-start").count() == 1
        assert page.locator("#preview .preview-toc a").count() == 2
        assert_no_axe_violations(page, f"{lang}/editor with a preview")
        # With JavaScript, htmx refreshes the preview while the writer types.
        page.locator("textarea[name=body]").fill("## Typed live\n")
        page.locator("#preview h2#typed-live").wait_for()

        page.goto(f"{base}/articles/{article.pk}/en/revisions/{first.pk}/")
        assert page.locator("main table.diff ins").count() == 2
        assert_no_axe_violations(page, f"{lang}/revision diff")

    # The states of these pages in one language; every page type runs in all four in
    # core/tests/test_browser_every_page.py.
    @pytest.mark.parametrize("lang", ["ko"])
    def test_the_other_editor_screens_are_accessible(
        self,
        page: Page,
        live_server: LiveServer,
        transactional_db: None,
        personas: Personas,
        lang: str,
    ) -> None:
        category = services.category_create(names={"en": "Accounts", "ko": "계정"})
        section = services.section_create(category=category, names={"en": "Passwords"})
        article = services.article_create(section=section)
        services.translation_save(
            article=article, locale="en", title="Reset", body="Text", status="draft"
        )
        now = timezone.now()
        notice = services.notice_save(
            notice=None,
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=1),
            messages={"en": "Maintenance tonight", "ko": "오늘 밤 점검"},
        )
        base = f"{live_server.url}/{lang}/agent/help"
        login(page, live_server.url, personas.agent.email, PASSWORD, lang=lang)
        for path, label in [
            ("/categories/", "categories"),
            (f"/categories/{category.pk}/", "category form"),
            ("/sections/new/", "new section"),
            (f"/sections/{section.pk}/", "section form"),
            ("/articles/new/", "new article"),
            (f"/articles/{article.pk}/settings/", "article settings"),
            (f"/articles/{article.pk}/media/", "article media"),
            (f"/articles/{article.pk}/en/revisions/", "revision list"),
            ("/notices/", "notice list"),
            (f"/notices/{notice.pk}/", "notice form"),
        ]:
            page.goto(f"{base}{path}")
            assert_no_axe_violations(page, f"{lang}/{label}")
        # The form with errors, as the writer sees it after a bad submit.
        page.goto(f"{base}/notices/new/")
        page.locator("main button.button[type=submit]").first.click()
        page.wait_for_load_state()
        assert page.locator(".form-errors").count() == 1
        assert_no_axe_violations(page, f"{lang}/notice form with errors")
