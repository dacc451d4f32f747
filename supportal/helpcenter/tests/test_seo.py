from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from supportal.helpcenter.tests.test_pages import url
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content
from supportal.test import Personas

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


class SitemapTests:
    def test_it_lists_public_pages_in_every_language_with_alternates(
        self, client: Client, content: Content
    ) -> None:
        response = client.get("/sitemap.xml")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        root = ET.fromstring(response.content)  # noqa: S314 - our own response
        locs = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
        base = "http://testserver"
        for lang in ["ko", "en", "ja", "zh-hans"]:
            assert f"{base}/{lang}/help/" in locs
            assert f"{base}/{lang}/help/faq/" in locs
            assert f"{base}/{lang}/help/announcements/" in locs
            assert f"{base}/{lang}/help/categories/{content.category.pk}/" in locs
            assert f"{base}/{lang}/help/sections/{content.section.pk}/" in locs
            assert f"{base}/{lang}/help/articles/{content.public.pk}/" in locs
            assert f"{base}/{lang}/help/articles/{content.announcement.pk}/" in locs
        hidden = ["signed_in", "agents", "draft", "scheduled", "expired"]
        for attr in hidden:
            pk = getattr(content, attr).pk
            assert not any(loc.endswith(f"/articles/{pk}/") for loc in locs), attr
        assert f"{base}/en/help/sections/{content.other_section.pk}/" not in locs
        first = root.find(f"{SITEMAP}url")
        assert first is not None
        langs = [link.get("hreflang") for link in first.iter(f"{XHTML}link")]
        assert langs == ["ko", "en", "ja", "zh-hans"]

    def test_it_dates_articles_by_their_last_update(self, client: Client, content: Content) -> None:
        root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314
        for entry in root.iter(f"{SITEMAP}url"):
            loc = entry.findtext(f"{SITEMAP}loc") or ""
            if loc.endswith(f"/articles/{content.public.pk}/"):
                stamp = content.public.translations.get(locale="en").updated_at
                assert entry.findtext(f"{SITEMAP}lastmod") == stamp.date().isoformat()


class RobotsTests:
    def test_it_allows_the_site_hides_private_areas_and_names_the_sitemap(
        self, client: Client
    ) -> None:
        response = client.get("/robots.txt")
        assert response.status_code == 200
        lines = response.content.decode().splitlines()
        assert "User-agent: *" in lines
        assert "Allow: /" in lines
        assert "Disallow: /agent/" in lines
        assert "Disallow: /accounts/" in lines
        assert "Disallow: /ko/agent/" in lines
        assert "Sitemap: http://testserver/sitemap.xml" in lines


class FeedTests:
    def test_it_is_valid_atom_with_only_public_live_announcements(
        self, client: Client, content: Content
    ) -> None:
        from supportal.helpcenter import services
        from supportal.helpcenter.models import Article
        from supportal.helpcenter.tests.test_pages_fixtures import publish

        for visibility, title in [("agents", "Staff party"), ("signed_in", "Customers news")]:
            item = services.article_create(
                section=None, kind=Article.Kind.ANNOUNCEMENT, visibility=visibility
            )
            publish(item, title)
        draft = services.article_create(section=None, kind=Article.Kind.ANNOUNCEMENT)
        publish(draft, "Unfinished news", status="draft")
        response = client.get(url("announcements_feed", lang="ko"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(response.content)  # noqa: S314 - our own response
        assert root.tag == f"{ATOM}feed"
        titles = [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]
        assert titles == ["New opening hours [ko]"]
        link = root.find(f"{ATOM}entry/{ATOM}link")
        assert link is not None
        assert link.get("href", "").endswith(f"/ko/help/articles/{content.announcement.pk}/")
