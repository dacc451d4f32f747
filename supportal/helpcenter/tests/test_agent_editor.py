from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from supportal.helpcenter import services
from supportal.helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    Section,
    Visibility,
)
from supportal.helpcenter.views.articles import diff_rows
from supportal.test import Personas


def make_article(
    title: str = "Reset your password",
    body: str = "## First\n\nHello.",
    locale: str = "en",
    status: str = ArticleTranslation.Status.PUBLISHED,
    visibility: str = Visibility.EVERYONE,
) -> Article:
    category = services.category_create(names={"en": "Accounts"})
    section = services.section_create(category=category, names={"en": "Passwords"})
    article = services.article_create(section=section, visibility=visibility)
    services.translation_save(article=article, locale=locale, title=title, body=body, status=status)
    return article


def editor_urls(article: Article) -> list[str]:
    translation = article.translations.get(locale="en")
    revision = translation.revisions.first()
    assert revision is not None
    base = f"/en/agent/help/articles/{article.pk}"
    return [
        "/en/agent/help/",
        "/en/agent/help/articles/new/",
        f"{base}/settings/",
        f"{base}/en/",
        f"{base}/ko/",
        f"{base}/media/",
        f"{base}/en/revisions/",
        f"{base}/en/revisions/{revision.pk}/",
        "/en/agent/help/categories/",
        f"/en/agent/help/categories/{article.section.category_id}/",
        "/en/agent/help/sections/new/",
        f"/en/agent/help/sections/{article.section_id}/",
    ]


@pytest.mark.django_db
class EditorPermissionTests:
    def test_it_asks_visitors_to_sign_in(self, client: Client, personas: Personas) -> None:
        for url in editor_urls(make_article()):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/en/accounts/login/?next="), url

    def test_it_refuses_customers(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.customer)
        for url in editor_urls(article):
            assert client.get(url).status_code == 403, url
        assert client.post("/en/agent/help/preview/", {"body": "x"}).status_code == 403
        revision = ArticleRevision.objects.get()
        restore = f"/en/agent/help/articles/{article.pk}/en/revisions/{revision.pk}/restore/"
        assert client.post(restore).status_code == 403

    @pytest.mark.parametrize("persona", ["agent", "admin"])
    def test_it_opens_every_page_for_agents_and_admins(
        self, client: Client, personas: Personas, persona: str
    ) -> None:
        client.force_login(getattr(personas, persona))
        for url in editor_urls(make_article()):
            assert client.get(url).status_code == 200, url

    def test_it_answers_404_for_unknown_articles_and_languages(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        assert client.get("/en/agent/help/articles/999/en/").status_code == 404
        assert client.get(f"/en/agent/help/articles/{article.pk}/fr/").status_code == 404
        assert client.get(f"/en/agent/help/articles/{article.pk}/ko/revisions/").status_code == 404

    def test_it_refuses_the_wrong_method(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        assert client.get("/en/agent/help/preview/").status_code == 405
        assert client.post("/en/agent/help/").status_code == 405
        revision = ArticleRevision.objects.get()
        restore = f"/en/agent/help/articles/{article.pk}/en/revisions/{revision.pk}/restore/"
        assert client.get(restore).status_code == 405


@pytest.mark.django_db
class ArticleEditingTests:
    def test_it_creates_an_article_with_its_first_translation(
        self, client: Client, personas: Personas
    ) -> None:
        section = make_article().section
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/help/articles/new/",
            {
                "kind": "announcement",
                "section": section.pk,
                "visibility": "signed_in",
                "promoted": "on",
                "position": "3",
                "labels": "Billing, faq, ,billing",
                "external_id": "ext-1",
                "locale": "ko",
                "title": "새 소식",
            },
        )
        article = Article.objects.get(external_id="ext-1")
        assert response["Location"] == f"/en/agent/help/articles/{article.pk}/ko/"
        assert (article.kind, article.visibility, article.promoted, article.position) == (
            "announcement",
            "signed_in",
            True,
            3,
        )
        assert sorted(article.labels.values_list("name", flat=True)) == ["billing", "faq"]
        translation = article.translations.get()
        assert (translation.locale, translation.title, translation.status) == (
            "ko",
            "새 소식",
            "draft",
        )

    def test_it_keeps_the_input_when_the_external_id_is_taken(
        self, client: Client, personas: Personas
    ) -> None:
        services.article_create(section=None, external_id="taken")
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/help/articles/new/",
            {
                "kind": "article",
                "section": "",
                "visibility": "everyone",
                "position": "0",
                "labels": "",
                "external_id": "taken",
                "locale": "en",
                "title": "My careful title",
            },
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Another article already has this external ID." in html
        assert 'value="My careful title"' in html
        assert Article.objects.count() == 1

    def test_it_updates_the_settings(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/settings/",
            {"section": "", "visibility": "agents", "position": "7", "labels": "internal"},
        )
        assert response.status_code == 302
        article.refresh_from_db()
        assert (article.section, article.visibility, article.promoted, article.position) == (
            None,
            "agents",
            False,
            7,
        )
        assert list(article.labels.values_list("name", flat=True)) == ["internal"]

    def test_it_refuses_a_position_too_large_to_store(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/settings/",
            {"section": "999", "visibility": "nobody", "position": "9" * 30, "labels": "x" * 70},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Select a valid choice." in html
        assert "A label can be at most 64 characters long." in html
        assert "Ensure this value is less than or equal to 2147483647." in html

    def test_it_saves_publishes_and_schedules_in_the_agents_time_zone(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article(status=ArticleTranslation.Status.DRAFT)
        personas.agent.time_zone = "Asia/Seoul"
        personas.agent.save()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/ja/",
            {
                "action": "save",
                "title": "パスワード",
                "body": "本文",
                "status": "published",
                "publish_at": "2030-01-02T09:00",
                "unpublish_at": "2030-02-01T09:00",
            },
        )
        assert response["Location"] == f"/en/agent/help/articles/{article.pk}/ja/"
        translation = article.translations.get(locale="ja")
        seoul = ZoneInfo("Asia/Seoul")
        assert translation.publish_at == dt.datetime(2030, 1, 2, 9, 0, tzinfo=seoul)
        assert translation.unpublish_at == dt.datetime(2030, 2, 1, 9, 0, tzinfo=seoul)
        assert not translation.is_live()
        html = client.get(f"/en/agent/help/articles/{article.pk}/ja/").content.decode()
        assert 'value="2030-01-02T09:00"' in html

    def test_it_refuses_an_unpublish_time_before_the_publish_time(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/",
            {
                "title": "Changed",
                "body": "Kept body",
                "status": "draft",
                "publish_at": "2030-01-02T09:00",
                "unpublish_at": "2030-01-01T09:00",
            },
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Unpublish at must be later than publish at." in html
        assert "Kept body" in html
        assert article.translations.get().title == "Reset your password"

    def test_it_refuses_a_bad_date_without_an_error_page(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/",
            {"title": "T", "body": "B", "status": "bogus", "publish_at": "not-a-date"},
        )
        assert response.status_code == 200
        assert "Enter a valid date/time." in response.content.decode()

    def test_it_refuses_to_publish_an_image_without_alt_text(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        body = 'Intro\n\n![](/media/helpcenter/a.png)\n\n<img src="/media/helpcenter/b.png">'
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/",
            {"title": "T", "body": body, "status": "published"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "The image “/media/helpcenter/a.png” has no alternative text." in html
        assert "The image “/media/helpcenter/b.png” has no alternative text." in html
        # A draft may still be saved, and a described image may be published.
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/",
            {"title": "T", "body": body, "status": "draft"},
        )
        assert response.status_code == 302
        described = "![A login form](/media/helpcenter/a.png)"
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/",
            {"title": "T", "body": described, "status": "published"},
        )
        assert response.status_code == 302
        assert article.translations.get().status == "published"


@pytest.mark.django_db
class PreviewTests:
    def test_it_returns_a_fragment_for_htmx(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/help/preview/",
            {"body": "## Setup\n\n### Step one\n\n<script>alert(1)</script>"},
            HTTP_HX_REQUEST="true",
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert '<h2 id="setup">Setup</h2>' in html
        assert '<a href="#step-one">Step one</a>' in html
        assert "<script" not in html

    def test_it_returns_a_page_without_htmx(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        response = client.post("/en/agent/help/preview/", {"body": "## Setup"})
        html = response.content.decode()
        assert "<html" in html
        assert '<h2 id="setup">Setup</h2>' in html

    def test_the_preview_button_keeps_the_input_and_saves_nothing(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/",
            {"action": "preview", "title": "Unsaved", "body": "## Unsaved heading"},
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert '<h2 id="unsaved-heading">Unsaved heading</h2>' in html
        assert 'value="Unsaved"' in html
        assert article.translations.get().title == "Reset your password"


@pytest.mark.django_db
class RevisionTests:
    def test_it_lists_diffs_and_restores_revisions(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article(body="one\ntwo\nthree")
        services.translation_save(
            article=article,
            locale="en",
            title="Reset your password",
            body="one\n2\nthree\nfour",
            status="published",
            author=personas.agent,
        )
        first = ArticleRevision.objects.order_by("created_at", "id").first()
        assert first is not None
        client.force_login(personas.agent)
        html = client.get(f"/en/agent/help/articles/{article.pk}/en/revisions/").content.decode()
        assert "Jiwoo Agent" in html
        html = client.get(
            f"/en/agent/help/articles/{article.pk}/en/revisions/{first.pk}/"
        ).content.decode()
        assert '<del><span class="visually-hidden">removed: </span><pre>two</pre></del>' in html
        assert '<ins><span class="visually-hidden">added: </span><pre>2</pre></ins>' in html
        assert '<ins><span class="visually-hidden">added: </span><pre>four</pre></ins>' in html
        assert "style=" not in html
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/en/revisions/{first.pk}/restore/"
        )
        assert response.status_code == 302
        translation = article.translations.get()
        assert translation.body == "one\ntwo\nthree"
        assert translation.revisions.count() == 3
        assert translation.revisions.first().author == personas.agent

    def test_it_does_not_mix_up_revisions_of_other_translations(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        other = make_article(title="Other")
        revision = other.translations.get().revisions.get()
        client.force_login(personas.agent)
        url = f"/en/agent/help/articles/{article.pk}/en/revisions/{revision.pk}/"
        assert client.get(url).status_code == 404
        assert client.post(url + "restore/").status_code == 404

    def test_diff_rows_pair_changed_lines(self) -> None:
        rows = diff_rows("a\nb", "a\nc\nd")
        assert [(r.kind, r.old, r.new) for r in rows] == [
            ("same", "a", "a"),
            ("changed", "b", "c"),
            ("added", "", "d"),
        ]


@pytest.mark.django_db
class ArticleListTests:
    def test_it_shows_up_to_date_outdated_and_missing_translations(
        self, client: Client, personas: Personas
    ) -> None:
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False):
            article = make_article(title="English title")
            services.translation_save(
                article=article, locale="ko", title="한국어 제목", body="", status="draft"
            )
            services.translation_save(
                article=article, locale="ja", title="日本語", body="", status="draft"
            )
        with time_machine.travel(start + dt.timedelta(days=1), tick=False):
            services.translation_save(
                article=article, locale="en", title="English title", body="new", status="published"
            )
            services.translation_save(
                article=article, locale="ko", title="한국어 제목", body="새", status="draft"
            )
        client.force_login(personas.agent)
        html = client.get("/en/agent/help/").content.decode()
        assert "English title" in html
        text = " ".join(html.split())
        assert '<span class="state-code" translate="no">ko</span>: up to date · Draft' in text
        assert '<span class="state-code" translate="no">en</span>: up to date · Published' in text
        assert '<span class="state-code" translate="no">ja</span>: outdated · Draft' in text
        assert '<span class="state-code" translate="no">zh-hans</span>: missing' in text
        # The title is shown in the page's language when there is one.
        assert "한국어 제목" in client.get("/ko/agent/help/").content.decode()

    def test_it_filters_by_status_language_and_title(
        self, client: Client, personas: Personas
    ) -> None:
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False):
            translated = make_article(title="Translated one")
            services.translation_save(
                article=translated, locale="ja", title="訳", body="", status="published"
            )
            make_article(title="Draft only", status="draft")
        with time_machine.travel(start + dt.timedelta(days=1), tick=False):
            services.translation_save(
                article=translated,
                locale="en",
                title="Translated one",
                body="x",
                status="published",
            )
        client.force_login(personas.agent)

        def titles(query: str) -> set[str]:
            html = client.get(f"/en/agent/help/?{query}").content.decode()
            return {t for t in ("Translated one", "Draft only") if t in html}

        assert titles("") == {"Translated one", "Draft only"}
        assert titles("status=draft") == {"Draft only"}
        assert titles("status=published&locale=en") == {"Translated one"}
        assert titles("status=outdated&locale=ja") == {"Translated one"}
        assert titles("status=outdated") == {"Translated one"}
        assert titles("status=missing&locale=ja") == {"Draft only"}
        assert titles("status=missing") == {"Translated one", "Draft only"}
        assert titles("q=draft") == {"Draft only"}
        assert titles("status=nonsense&locale=xx&page=abc") == {"Translated one", "Draft only"}

    def test_it_uses_a_fixed_number_of_queries(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        make_article()
        client.get("/en/agent/help/")  # warm up the session and content caches
        with CaptureQueriesContext(connection) as one:
            assert client.get("/en/agent/help/").status_code == 200
        for n in range(5):
            article = make_article(title=f"Article {n}")
            services.translation_save(
                article=article, locale="ko", title=f"글 {n}", body="", status="draft"
            )
        with CaptureQueriesContext(connection) as many:
            assert client.get("/en/agent/help/").status_code == 200
        assert len(many) == len(one)
        assert len(many) <= 9


@pytest.mark.django_db
class StructureTests:
    def test_it_creates_and_renames_categories_and_sections(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/help/categories/",
            {"category-name_en": "Billing", "category-name_ko": "결제", "category-position": "1"},
        )
        assert response.status_code == 302
        category = Category.objects.get()
        assert dict(category.translations.values_list("locale", "name")) == {
            "en": "Billing",
            "ko": "결제",
        }
        response = client.post(
            f"/en/agent/help/categories/{category.pk}/",
            {
                "category-name_en": "Payments",
                "category-name_ja": "支払い",
                "category-position": "2",
            },
        )
        assert response.status_code == 302
        assert dict(category.translations.values_list("locale", "name")) == {
            "en": "Payments",
            "ja": "支払い",
        }
        response = client.post(
            "/en/agent/help/sections/new/",
            {
                "section-category": category.pk,
                "section-name_en": "Invoices",
                "section-position": "0",
            },
        )
        assert response.status_code == 302
        section = Section.objects.get()
        response = client.post(
            f"/en/agent/help/sections/{section.pk}/",
            {
                "section-category": category.pk,
                "section-name_en": "Receipts",
                "section-name_zh-hans": "收据",
                "section-position": "0",
            },
        )
        assert response.status_code == 302
        assert dict(section.translations.values_list("locale", "name")) == {
            "en": "Receipts",
            "zh-hans": "收据",
        }
        html = client.get("/ko/agent/help/categories/").content.decode()
        assert "Payments" in html and "Receipts" in html

    def test_it_requires_the_default_language_name(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/help/categories/", {"category-name_ko": "결제", "category-position": "0"}
        )
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert 'value="결제"' in response.content.decode()
        assert not Category.objects.exists()
