from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from supportal.helpcenter import cache as helpcenter_cache
from supportal.helpcenter import search
from supportal.helpcenter.models import SearchLog, Visibility
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section
from supportal.test import Personas

pytestmark = pytest.mark.django_db


def url(name: str, lang: str = "en", **kwargs: object) -> str:
    with translation.override(lang):
        return reverse(f"helpcenter:{name}", kwargs=kwargs or None)


def result_links(html: str) -> list[str]:
    return re.findall(r'class="search-result-title"><a href="([^"]+)"', html)


class SearchPageTests:
    def test_it_shows_results_with_path_and_highlighted_snippet(self, client: Client) -> None:
        section = make_section()
        make_article(section, "Resetting your password", "Choose a new password & save.")
        response = client.get(url("search"), {"q": "password"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Resetting your password" in html
        assert "Accounts › Signing in" in html
        assert "<mark>password</mark> &amp; save" in html
        assert 'value="password"' in html

    def test_it_escapes_the_query_everywhere(self, client: Client) -> None:
        response = client.get(url("search"), {"q": "<script>alert(1)</script>"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)" in html

    def test_it_shows_a_prompt_without_a_query_and_logs_nothing(self, client: Client) -> None:
        response = client.get(url("search"))
        assert response.status_code == 200
        assert not SearchLog.objects.exists()

    def test_it_shows_helpful_suggestions_when_nothing_matches(self, client: Client) -> None:
        response = client.get(url("search", lang="ko"), {"q": "zzzxq"})
        html = response.content.decode()
        assert response.status_code == 200
        assert 'class="search-empty"' in html
        assert f'href="{url("home", lang="ko")}"' in html

    def test_it_filters_by_category_and_keeps_the_choice(self, client: Client) -> None:
        accounts = make_section()
        billing = make_section({"en": "Billing"}, {"en": "Invoices"})
        make_article(accounts, "Change your email address")
        make_article(billing, "Change your billing email")
        response = client.get(url("search"), {"q": "email", "category": billing.category_id})
        html = response.content.decode()
        assert "Change your billing email" in html
        assert "Change your email address" not in html
        assert f'<option value="{billing.category_id}" selected>Billing</option>' in html

    @pytest.mark.parametrize("category", ["abc", "-1", "99999", "1e9", "9" * 40])
    def test_it_ignores_a_bad_category_or_page(self, client: Client, category: str) -> None:
        make_article(make_section(), "Change your email address")
        response = client.get(url("search"), {"q": "email", "category": category, "page": category})
        assert response.status_code == 200
        assert "Change your email address" in response.content.decode()

    def test_it_paginates_keeping_the_query_category_and_log(self, client: Client) -> None:
        section = make_section()
        for n in range(12):
            make_article(section, f"Printer guide {n}", "printer")
        response = client.get(url("search"), {"q": "printer", "category": section.category_id})
        html = response.content.decode()
        assert len(result_links(html)) == 10
        log = SearchLog.objects.get()
        next_link = f"?q=printer&amp;log={log.pk}&amp;category={section.category_id}&amp;page=2"
        assert next_link in html
        second = client.get(url("search") + next_link.replace("&amp;", "&"))
        assert len(result_links(second.content.decode())) == 2
        assert SearchLog.objects.count() == 1

    def test_it_says_more_than_the_cap_and_pages_only_that_far(
        self, client: Client, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(search, "TOTAL_CAP", 11)
        section = make_section()
        for n in range(13):
            make_article(section, f"Printer guide {n}", "printer")
        html = client.get(url("search"), {"q": "printer"}).content.decode()
        assert "More than 11 results for “printer”" in html
        assert len(result_links(html)) == 10
        last = client.get(url("search"), {"q": "printer", "page": "5"}).content.decode()
        assert "More than 11 results for “printer”" in last
        assert "Page 2 of 2" in last and len(result_links(last)) == 1
        assert SearchLog.objects.filter(results=12).count() == 2

    def test_it_says_when_a_long_query_was_shortened(self, client: Client) -> None:
        response = client.get(url("search"), {"q": "word " * 200})
        assert response.status_code == 200
        assert "shortened" in response.content.decode()
        assert len(SearchLog.objects.get().query) <= 500

    def test_it_logs_each_search_with_its_result_count_and_user(
        self, client: Client, personas: Personas
    ) -> None:
        section = make_section()
        make_article(section, "Refund policy")
        make_article(section, "Refund for agents", visibility=Visibility.AGENTS)
        client.force_login(personas.customer)
        client.get(url("search", lang="en"), {"q": "refund"})
        log = SearchLog.objects.get()
        assert (log.query, log.locale, log.results, log.user) == (
            "refund",
            "en",
            1,
            personas.customer,
        )

    def test_it_never_shows_hidden_articles_to_customers(
        self, client: Client, personas: Personas
    ) -> None:
        section = make_section()
        make_article(section, "Refund agents", visibility=Visibility.AGENTS)
        make_article(section, "Refund draft", status="draft")
        client.force_login(personas.customer)
        html = client.get(url("search"), {"q": "refund"}).content.decode()
        assert "Refund agents" not in html and "Refund draft" not in html
        client.force_login(personas.agent)
        html = client.get(url("search"), {"q": "refund"}).content.decode()
        assert "Refund agents" in html and "Refund draft" not in html

    def test_it_makes_a_constant_number_of_queries(
        self, client: Client, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The content version is read again every RECHECK seconds; a slow run must not put that
        # read into one measurement and not the other.
        monkeypatch.setattr(helpcenter_cache, "RECHECK", 3600.0)
        # Each search is one no stored copy answers (a copy is keyed on the words as typed
        # and on the content version, which a publish changes).
        section = make_section()
        make_article(section, "Printer setup")
        client.get(url("search"), {"q": "setup printer"})  # warms the caches (notices, terms)
        with CaptureQueriesContext(connection) as few:
            client.get(url("search"), {"q": "printer"})
        for n in range(9):
            make_article(section, f"Printer guide {n}")
        # The first query after a publish reloads the in-process index (three reads, whatever
        # the number of articles) and the article vectors (two: the vectors, then each one's
        # language); the next is the page as it usually is.
        with CaptureQueriesContext(connection) as reload:
            client.get(url("search"), {"q": "printer"})
        # and, where the shared cache is the database, the content version the publish renewed
        version_read = settings.CACHES[settings.SHARED_CACHE]["BACKEND"].endswith("DatabaseCache")
        assert len(reload) == len(few) + 3 + 2 + int(version_read)
        with CaptureQueriesContext(connection) as many:
            html = client.get(url("search"), {"q": "Printer"}).content.decode()
        assert len(result_links(html)) == 10
        assert len(many) == len(few)
        assert len(few) <= 10

    def test_it_refuses_post(self, client: Client) -> None:
        assert client.post(url("search"), {"q": "x"}).status_code == 405


class SearchClickTests:
    def test_it_records_the_click_and_redirects_to_the_article(self, client: Client) -> None:
        article = make_article(make_section(), "Refund policy")
        client.get(url("search"), {"q": "refund"})
        log = SearchLog.objects.get()
        response = client.get(url("search_click", log_id=log.pk, article_id=article.pk))
        assert response.status_code == 302
        assert response["Location"] == url("article", article_id=article.pk)
        log.refresh_from_db()
        assert log.clicked_article == article

    def test_it_leaves_another_users_log_alone(self, client: Client, personas: Personas) -> None:
        article = make_article(make_section(), "Refund policy")
        log = SearchLog.objects.create(query="x", locale="en", results=1, user=personas.agent)
        client.force_login(personas.customer)
        response = client.get(url("search_click", log_id=log.pk, article_id=article.pk))
        assert response.status_code == 302
        log.refresh_from_db()
        assert log.clicked_article is None

    def test_it_survives_unknown_ids(self, client: Client) -> None:
        log = SearchLog.objects.create(query="x", locale="en", results=0)
        response = client.get(url("search_click", log_id=log.pk + 1, article_id=12345))
        assert response.status_code == 302
        response = client.get(url("search_click", log_id=log.pk, article_id=12345))
        assert response.status_code == 302
        log.refresh_from_db()
        assert log.clicked_article is None


class SearchSuggestTests:
    def test_it_renders_up_to_five_options_for_the_combobox(self, client: Client) -> None:
        section = make_section()
        for n in range(7):
            make_article(section, f"Password help {n}")
        response = client.get(url("search_suggest"), {"q": "passw", "field": "hc-search"})
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count('role="option"') == 5
        assert 'id="hc-search-listbox"' in html and 'role="listbox"' in html
        assert 'id="hc-search-option-1"' in html
        assert "5 suggestions available." in html

    def test_it_renders_an_empty_hidden_list_without_a_match(self, client: Client) -> None:
        response = client.get(url("search_suggest"), {"q": "zzzxq"})
        html = response.content.decode()
        assert 'role="option"' not in html and " hidden" in html

    def test_it_never_suggests_hidden_articles(self, client: Client) -> None:
        section = make_section()
        make_article(section, "Password agents", visibility=Visibility.AGENTS)
        make_article(section, "Password draft", status="draft")
        html = client.get(url("search_suggest"), {"q": "password"}).content.decode()
        assert 'role="option"' not in html

    def test_opening_a_suggestion_is_recorded_and_goes_to_the_article(self, client: Client) -> None:
        section = make_section()
        article = make_article(section, "Password help")
        hidden = make_article(section, "Password agents", visibility=Visibility.AGENTS)
        html = client.get(url("search_suggest"), {"q": "passw"}).content.decode()
        [href] = re.findall(r'data-href="([^"]+)"', html)
        href = href.replace("&amp;", "&")
        assert href == url("search_suggested", article_id=article.pk) + "?q=passw&n=1"
        response = client.get(href)
        assert response.status_code == 302
        assert response["Location"] == url("article", article_id=article.pk)
        row = SearchLog.objects.get()
        assert (row.query, row.results, row.clicked_article, row.source) == (
            "passw",
            1,
            article,
            SearchLog.Source.SUGGESTION,
        )
        # Not an article this visitor may read: nothing recorded, nothing revealed.
        opened = client.get(url("search_suggested", article_id=hidden.pk) + "?q=password")
        assert opened.status_code == 404
        assert SearchLog.objects.count() == 1

    def test_it_ignores_a_malformed_field_id(self, client: Client) -> None:
        html = client.get(url("search_suggest"), {"q": "x", "field": '"><b>'}).content.decode()
        assert "<b>" not in html and 'id="hc-search-listbox"' in html


class SearchBoxTests:
    def test_it_is_a_plain_get_form_with_a_combobox(self, client: Client) -> None:
        from django.template.loader import render_to_string

        with translation.override("ja"):
            html = render_to_string(
                "helpcenter/search/_box.html", {"query": "a&b", "field_id": "hc-search"}
            )
        assert f'action="{url("search", lang="ja")}"' in html
        assert 'method="get"' in html and 'name="q"' in html and 'value="a&amp;b"' in html
        assert 'role="combobox"' in html and 'aria-controls="hc-search-listbox"' in html
        assert 'hx-trigger="input changed delay:250ms"' in html
