from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from supportal.helpcenter import services
from supportal.helpcenter.models import Article
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content, publish
from supportal.test import Personas


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


def url(name: str, *args: object, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"helpcenter:{name}", args=args)


def as_user(client: Client, user: object | None) -> Client:
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


HIDDEN_FROM_CUSTOMERS = ["agents", "draft", "scheduled", "expired"]


class ArticlePageTests:
    @pytest.mark.parametrize("who", [None, "customer", "agent"])
    def test_it_shows_a_public_article_to_everyone(
        self, client: Client, content: Content, personas: Personas, who: str | None
    ) -> None:
        as_user(client, who and getattr(personas, who))
        response = client.get(url("article", content.public.pk))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Reset your password" in html
        assert '<span aria-current="page">Reset your password</span>' in html
        assert 'href="/en/help/categories/' in html and 'href="/en/help/sections/' in html

    @pytest.mark.parametrize("attr", HIDDEN_FROM_CUSTOMERS)
    @pytest.mark.parametrize("who", [None, "customer"])
    def test_it_answers_404_for_hidden_articles(
        self, client: Client, content: Content, personas: Personas, attr: str, who: str | None
    ) -> None:
        as_user(client, who and getattr(personas, who))
        assert client.get(url("article", getattr(content, attr).pk)).status_code == 404

    def test_it_shows_agents_only_articles_to_agents_but_not_drafts(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        assert client.get(url("article", content.agents.pk)).status_code == 200
        assert client.get(url("article", content.draft.pk)).status_code == 404

    def test_it_shows_signed_in_articles_only_after_signing_in(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        assert client.get(url("article", content.signed_in.pk)).status_code == 404
        client.force_login(personas.customer)
        assert client.get(url("article", content.signed_in.pk)).status_code == 200

    def test_it_answers_404_for_an_unknown_article(self, client: Client, content: Content) -> None:
        assert client.get(url("article", 999999)).status_code == 404

    def test_it_shows_the_fallback_note_and_the_real_language(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("article", content.english_only.pk, lang="ko")).content.decode()
        assert "showing English" in html or "English" in html
        assert 'class="hc-note"' in html
        assert '<article class="hc-article" lang="en"' in html
        assert "Change your language" in html

    def test_it_shows_no_fallback_note_for_a_translated_article(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("article", content.public.pk, lang="ko")).content.decode()
        assert 'class="hc-note"' not in html
        assert '<article class="hc-article" lang="ko"' in html
        assert "Reset your password [ko]" in html

    def test_it_builds_a_table_of_contents_from_three_headings(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("article", content.public.pk)).content.decode()
        assert 'class="hc-toc"' in html
        assert html.count('<li class="hc-toc-') == 3
        assert 'href="#first-step"' in html

    def test_it_leaves_out_the_table_of_contents_for_short_articles(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("article", content.english_only.pk)).content.decode()
        assert 'class="hc-toc"' not in html

    def test_it_lists_only_visible_related_articles(self, client: Client, content: Content) -> None:
        html = client.get(url("article", content.public.pk)).content.decode()
        related = html.split('id="hc-related"')[1].split("</section>")[0]
        assert "Change your language" in related
        assert "How do I sign in?" in related
        for hidden in ["Agents only", "Draft article", "Scheduled", "Expired", "Customers only"]:
            assert hidden not in related
        assert "Reset your password" not in related

    def test_it_links_to_the_request_form(self, client: Client, content: Content) -> None:
        html = client.get(url("article", content.public.pk)).content.decode()
        more_help = html.split('id="hc-more-help"')[1].split("</section>")[0]
        assert "Still need help?" in more_help
        assert 'href="/en/requests/new"' in more_help

    def test_it_refuses_post(self, client: Client, content: Content) -> None:
        assert client.post(url("article", content.public.pk)).status_code == 405


class BrowsePageTests:
    def test_it_lists_non_empty_categories_sections_and_promoted_articles(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("home")).content.decode()
        assert "Accounts" in html and "Signing in" in html
        assert "Empty corner" not in html
        assert 'id="hc-search"' in html
        assert "Popular articles" in html and "Reset your password" in html
        assert "New opening hours" in html

    def test_it_hides_a_category_whose_articles_are_all_hidden(
        self, client: Client, personas: Personas
    ) -> None:
        category = services.category_create(names={"en": "Staff room"})
        section = services.section_create(category=category, names={"en": "Playbooks"})
        hidden = services.article_create(section=section, visibility="agents")
        publish(hidden, "Secret")
        assert "Staff room" not in client.get(url("home")).content.decode()
        assert client.get(url("category", category.pk)).status_code == 404
        assert client.get(url("section", section.pk)).status_code == 404
        client.force_login(personas.agent)
        assert "Staff room" in client.get(url("home")).content.decode()
        assert client.get(url("section", section.pk)).status_code == 200

    def test_it_lists_a_categorys_sections_and_their_articles(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("category", content.category.pk, lang="ko")).content.decode()
        assert "<h1>계정</h1>" in html
        assert "로그인" in html and "빈 곳" not in html
        assert "Reset your password [ko]" in html
        assert "Agents only" not in html

    def test_it_lists_a_sections_articles_in_order(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        html = client.get(url("section", content.section.pk)).content.decode()
        assert html.index("Reset your password") < html.index("Change your language")
        for hidden in ["Agents only", "Draft article", "Scheduled", "Expired", "Customers only"]:
            assert hidden not in html
        client.force_login(personas.agent)
        html = client.get(url("section", content.section.pk)).content.decode()
        assert "Agents only playbook" in html and "Customers only guide" in html
        assert "Draft article" not in html

    def test_it_answers_404_for_an_empty_section_and_unknown_category(
        self, client: Client, content: Content
    ) -> None:
        assert client.get(url("section", content.other_section.pk)).status_code == 404
        assert client.get(url("category", 999999)).status_code == 404

    def test_it_adds_meta_description_canonical_and_opengraph(
        self, client: Client, content: Content
    ) -> None:
        html = client.get(url("article", content.public.pk, lang="ja")).content.decode()
        canonical = f"http://testserver/ja/help/articles/{content.public.pk}/"
        assert f'<link rel="canonical" href="{canonical}">' in html
        assert f'<meta property="og:url" content="{canonical}">' in html
        assert '<meta property="og:type" content="article">' in html
        assert '<meta property="og:locale" content="ja_JP">' in html
        assert '<meta property="og:title" content="Reset your password">' in html
        assert '<meta name="description" content="Intro paragraph for everyone.' in html


class FaqPageTests:
    def test_it_lists_visible_faq_articles_as_disclosures_with_json_ld(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        import json
        import re

        agents_faq = services.article_create(
            section=content.section, visibility="agents", labels=["faq"]
        )
        publish(agents_faq, "Internal question")
        tricky = services.article_create(section=content.section, labels=["faq"], position=99)
        publish(tricky, "Is </script><b>this</b> & that safe?")
        html = client.get(url("faq")).content.decode()
        assert "<summary>How do I sign in?</summary>" in html
        assert "Internal question" not in html
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        assert block is not None
        assert "<ok>" not in block.group(1)
        data = json.loads(block.group(1))
        assert data["@type"] == "FAQPage"
        assert "</script><b>" not in block.group(1)
        names = [q["name"] for q in data["mainEntity"]]
        assert names == ["How do I sign in?", "Is </script><b>this</b> & that safe?"]
        assert "<strong>email</strong>" in data["mainEntity"][0]["acceptedAnswer"]["text"]


class AnnouncementsPageTests:
    def test_it_lists_announcements_newest_first_with_a_feed_link(
        self, client: Client, content: Content
    ) -> None:
        newer = services.article_create(section=None, kind=Article.Kind.ANNOUNCEMENT)
        publish(newer, "Even newer")
        hidden = services.article_create(
            section=None, kind=Article.Kind.ANNOUNCEMENT, visibility="agents"
        )
        publish(hidden, "Staff party")
        html = client.get(url("announcements")).content.decode()
        assert html.index("Even newer") < html.index("New opening hours")
        assert "Staff party" not in html
        feed = url("announcements_feed")
        link = '<link rel="alternate" type="application/atom+xml" title="Announcements"'
        assert f'{link} href="{feed}">' in html

    def test_it_paginates_and_survives_a_bad_page_number(
        self, client: Client, content: Content
    ) -> None:
        for number in range(11):
            item = services.article_create(section=None, kind=Article.Kind.ANNOUNCEMENT)
            publish(item, f"Bulletin {number}", locales=("en",))
        first = client.get(url("announcements")).content.decode()
        assert "Page 1 of 2" in first
        assert client.get(url("announcements") + "?page=2").status_code == 200
        assert client.get(url("announcements") + "?page=nonsense").status_code == 200
        assert client.get(url("announcements") + "?page=99").status_code == 200
