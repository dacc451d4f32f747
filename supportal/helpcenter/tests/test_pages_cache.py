from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

import pytest
from django.test import Client

from supportal.helpcenter import services
from supportal.helpcenter.models import Article, ArticleTranslation
from supportal.helpcenter.tests.test_pages import url
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content, publish
from supportal.test import Personas, session_queries, shared_cache_queries


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


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
        assert "X-Page-Cache" not in fresh
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

    def test_it_gives_each_visitor_a_working_csrf_token_on_a_cached_page(
        self, content: Content
    ) -> None:
        first = Client(enforce_csrf_checks=True)
        first.get(url("article", content.public.pk))
        second = Client(enforce_csrf_checks=True)
        cached = second.get(url("article", content.public.pk))
        assert cached["X-Page-Cache"] == "hit"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached.content.decode())
        assert token is not None
        response = second.post(
            url("vote", content.public.pk),
            {"helpful": "yes", "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status_code == 302


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
        "article": 8,
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

    def test_it_serves_a_cached_page_with_one_query(
        self, client: Client, content: Content, django_assert_num_queries: Callable
    ) -> None:
        client.get(url("home"))
        # The content version: a query with the database cache, none with Redis.
        with django_assert_num_queries(shared_cache_queries()):
            assert client.get(url("home"))["X-Page-Cache"] == "hit"
