from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format as dateformat

from supportal.core.maintenance import maintenance_set
from supportal.helpcenter import services
from supportal.helpcenter.cache import forget_content_version
from supportal.helpcenter.models import ArticleVote
from supportal.helpcenter.tests.test_pages import url
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content
from supportal.test import Personas

# Headers the stack adds that a stored page must answer with too.
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "Permissions-Policy",
    "Referrer-Policy",
    "X-Content-Type-Options",
    "Content-Language",
    "Content-Type",
)


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


@pytest.fixture(autouse=True)
def _fresh_content_version() -> None:
    # The token this process keeps for a moment may name a version the last test's cleared
    # cache held: forget it, so the first page of a test is stored under the version it reads.
    forget_content_version()


class PageCacheTests:
    def test_it_answers_a_visitor_from_the_stored_copy_with_the_stacks_own_headers(
        self, client: Client, content: Content
    ) -> None:
        page = url("article", content.public.pk)
        first = client.get(page)
        second = Client().get(page)
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
        assert second.content == first.content
        for name in SECURITY_HEADERS:
            assert second[name] == first[name], name
        assert second["X-Request-ID"] != first["X-Request-ID"]
        assert not second.cookies
        assert "csrfmiddlewaretoken" not in second.content.decode()
        assert second["Cache-Control"] == (
            f"public, max-age=60, s-maxage={settings.CDN_MAX_AGE}, stale-while-revalidate=60"
        )
        assert second["Vary"] == "Accept-Encoding, Cookie"
        assert second["ETag"].startswith('W/"')

    def test_a_visitors_time_zone_does_not_make_a_copy_of_their_own(
        self, client: Client, content: Content, settings: object
    ) -> None:
        settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
        page = url("article", content.public.pk)
        first = client.get(page)
        seoul = Client()
        seoul.cookies["tz"] = "Asia/Seoul"
        second = seoul.get(page)
        # The same shared copy, times in the site's zone: the browser shows them in its own.
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
        assert second["Cache-Control"].startswith("public, ")
        html = second.content.decode()
        assert '<meta name="render-zone" content="UTC">' in html
        updated = content.public.translations.get(locale="en").updated_at
        shown = updated.astimezone(UTC)
        with translation.override("en"):
            assert f">{dateformat(shown, 'DATETIME_FORMAT')}</time>" in html

    def test_a_signed_in_users_page_names_no_zone_for_the_browser_to_change(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        html = client.get(url("article", content.public.pk)).content.decode()
        assert 'name="render-zone"' not in html

    def test_it_answers_not_modified_to_a_visitor_who_has_the_page(
        self, client: Client, content: Content
    ) -> None:
        page = url("faq")
        first = client.get(page)
        again = client.get(page, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == first["ETag"]
        since = client.get(page, headers={"If-Modified-Since": first["Last-Modified"]})
        assert since.status_code == 304

    def test_it_stores_the_page_compressed(self, client: Client, content: Content) -> None:
        page = url("home")
        plain = client.get(page)
        zipped = client.get(page, headers={"Accept-Encoding": "gzip, br"})
        assert zipped["X-Page-Cache"] == "hit"
        assert zipped["Content-Encoding"] == "gzip"
        assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content)
        assert gzip.decompress(zipped.content) == plain.content

    def test_it_caches_the_sitemap_the_feed_and_the_home_page(
        self, client: Client, content: Content
    ) -> None:
        with translation.override("en"):
            pages = ["/sitemap.xml", reverse("helpcenter:announcements_feed"), reverse("core:home")]
        for page in pages:
            first = client.get(page)
            assert first.status_code == 200, page
            assert client.get(page)["X-Page-Cache"] == "hit", page
        assert client.get(pages[1])["Content-Type"].startswith("application/atom+xml")

    def test_it_keeps_a_signed_in_users_pages_private(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        client.get(url("home"))
        client.force_login(personas.customer)
        with translation.override("en"):
            pages = [url("home"), reverse("core:home"), reverse("tickets:mine")]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            assert "X-Page-Cache" not in response, page
            assert response["Cache-Control"] == "private, no-store", page
        assert "Casey Customer" in client.get(url("home")).content.decode()

    def test_it_does_not_share_a_page_that_sets_a_cookie_or_answers_a_query(
        self, client: Client, content: Content
    ) -> None:
        with translation.override("en"):
            login = client.get(reverse("accounts:login"))
        assert login.cookies
        assert {"private", "no-store"} <= set(login["Cache-Control"].split(", "))
        thanks = client.get(url("article", content.public.pk) + "?feedback=thanks")
        assert "X-Page-Cache" not in thanks
        assert thanks["Cache-Control"] == "private, no-cache"

    def test_it_shows_visitors_the_maintenance_page_over_a_stored_copy(
        self, client: Client, content: Content
    ) -> None:
        client.get(url("home"))
        maintenance_set(enabled=True, message="Back soon")
        response = client.get(url("home"))
        assert response.status_code == 503
        assert "X-Page-Cache" not in response
        maintenance_set(enabled=False)
        assert client.get(url("home")).status_code == 200

    def test_it_shows_the_notice_until_the_visitor_dismisses_it(
        self, client: Client, content: Content, django_capture_on_commit_callbacks: Callable
    ) -> None:
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            notice = services.notice_save(
                notice=None,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
                messages={"en": "Planned downtime tonight"},
            )
        assert "Planned downtime tonight" in client.get(url("home")).content.decode()
        dismiss = url("notice_dismiss", notice.pk)
        client.post(dismiss, {"next": url("home")}, headers={"Sec-Fetch-Site": "same-origin"})
        after = client.get(url("home"))
        assert "Planned downtime tonight" not in after.content.decode()
        # This visitor's own copy: no shared cache may hand it to anyone else.
        assert after["Cache-Control"] == "private, no-cache"
        assert "Planned downtime tonight" in Client().get(url("home")).content.decode()


class SameOriginFormTests:
    """The forms on shared pages carry no token; the browser's origin headers protect them."""

    def test_it_switches_the_language_from_a_page_of_this_site(self, content: Content) -> None:
        page = url("faq")
        assert 'name="language"' in Client().get(page).content.decode()
        for headers in (
            {"Sec-Fetch-Site": "same-origin"},
            {"Origin": "http://testserver"},
            {"Referer": f"http://testserver{page}"},
        ):
            response = Client(enforce_csrf_checks=True).post(
                reverse("set_language"), {"language": "ko", "next": page}, headers=headers
            )
            assert response.status_code == 302, headers
            assert response["Location"] == url("faq", lang="ko")

    def test_it_refuses_a_vote_or_a_language_switch_from_another_site(
        self, content: Content
    ) -> None:
        client = Client(enforce_csrf_checks=True)
        forged = (
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Referer": "https://evil.example/page"},
        )
        for headers in forged:
            vote = client.post(url("vote", content.public.pk), {"helpful": "yes"}, headers=headers)
            assert vote.status_code == 403, headers
            switch = client.post(reverse("set_language"), {"language": "ko"}, headers=headers)
            assert switch.status_code == 403, headers
            assert settings.LANGUAGE_COOKIE_NAME not in switch.cookies
        assert not ArticleVote.objects.exists()
