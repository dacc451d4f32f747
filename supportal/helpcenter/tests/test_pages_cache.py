from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pytest
from django.test import Client

from supportal.helpcenter import services
from supportal.helpcenter.cache import forget_content_version
from supportal.helpcenter.models import Article, ArticleTranslation, ArticleVote
from supportal.helpcenter.tests.test_pages import url
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content, publish
from supportal.test import Personas, session_queries


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


@pytest.fixture(autouse=True)
def _fresh_content_version() -> None:
    # See supportal/core/tests/test_pagecache.py: a token kept from the last test's cache.
    forget_content_version()


def add_articles(content: Content, count: int) -> None:
    for number in range(count):
        extra = services.article_create(
            section=content.section, labels=["password", "faq"], promoted=True
        )
        publish(extra, f"Extra {number}", locales=("en", "ko", "ja"))
        news = services.article_create(section=None, kind=Article.Kind.ANNOUNCEMENT)
        publish(news, f"News {number}")


class PageCacheTests:
    def test_it_serves_anonymous_visitors_from_the_cache_until_content_changes(
        self, client: Client, content: Content, django_capture_on_commit_callbacks: Callable
    ) -> None:
        page = url("article", content.public.pk)
        assert "Reset your password" in client.get(page).content.decode()
        # A change that bypasses the services does not bump the version: the copy is served.
        ArticleTranslation.objects.filter(article=content.public, locale="en").update(
            title="Sneaky edit"
        )
        cached = client.get(page)
        assert cached["X-Page-Cache"] == "hit"
        assert "Sneaky edit" not in cached.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            services.translation_save(
                article=content.public,
                locale="en",
                title="Reset your password quickly",
                body="New body.",
                status="published",
            )
        fresh = client.get(page)
        assert fresh["X-Page-Cache"] == "miss"
        assert "Reset your password quickly" in fresh.content.decode()

    def test_it_keeps_languages_apart(self, client: Client, content: Content) -> None:
        assert "Reset your password" in client.get(url("home")).content.decode()
        assert "Reset your password [ko]" in client.get(url("home", lang="ko")).content.decode()

    def test_it_does_not_serve_signed_in_users_from_the_cache(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        client.get(url("home"))
        client.force_login(personas.customer)
        response = client.get(url("home"))
        assert "X-Page-Cache" not in response
        assert "Casey Customer" in response.content.decode()

    def test_it_gives_every_visitor_the_same_bytes_and_a_vote_form_that_works(
        self, content: Content
    ) -> None:
        first = Client(enforce_csrf_checks=True)
        stored = first.get(url("article", content.public.pk))
        second = Client(enforce_csrf_checks=True)
        cached = second.get(url("article", content.public.pk))
        assert cached["X-Page-Cache"] == "hit"
        assert cached.content == stored.content
        assert "csrfmiddlewaretoken" not in cached.content.decode()
        assert not cached.cookies
        # A browser says where the form was posted from; this site's page may vote.
        response = second.post(
            url("vote", content.public.pk),
            {"helpful": "yes"},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert response.status_code == 302
        assert ArticleVote.objects.filter(article=content.public, helpful=True).count() == 1


class QueryCountTests:
    """Signed-in pages are never cached, so they show the real cost of a page."""

    PAGES: ClassVar = [
        ("home", lambda c: ()),
        ("category", lambda c: (c.category.pk,)),
        ("section", lambda c: (c.section.pk,)),
        ("article", lambda c: (c.public.pk,)),
        ("faq", lambda c: ()),
        ("announcements", lambda c: ()),
    ]
    # Queries of the page itself, plus the user row; the session adds one more when sessions
    # live in the database (without Redis).
    EXPECTED: ClassVar = {
        "home": 9,
        "category": 7,
        "section": 6,
        "article": 9,  # related articles read the article vectors' generation first
        "faq": 3,
        "announcements": 4,
    }

    @pytest.mark.parametrize(("name", "args"), PAGES)
    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        content: Content,
        personas: Personas,
        django_assert_num_queries: Callable,
        name: str,
        args: Callable,
    ) -> None:
        client.force_login(personas.customer)
        page = url(name, *args(content), lang="ko")
        client.get(page)  # warms the notice cache
        expected = self.EXPECTED[name] + session_queries()
        with django_assert_num_queries(expected):
            assert client.get(page).status_code == 200
        add_articles(content, 6)
        with django_assert_num_queries(expected):
            assert client.get(page).status_code == 200

    def test_it_serves_a_cached_page_without_a_query(
        self, client: Client, content: Content, django_assert_num_queries: Callable
    ) -> None:
        client.get(url("home"))
        # The content version is kept for a moment per process: no query, with either cache.
        with django_assert_num_queries(0):
            assert client.get(url("home"))["X-Page-Cache"] == "hit"
