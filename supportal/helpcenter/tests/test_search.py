from __future__ import annotations

import math
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from supportal.helpcenter import search
from supportal.helpcenter.models import Article, SearchDocument, SearchPosting, Visibility
from supportal.helpcenter.tests.test_search_fixtures import (
    hours,
    make_article,
    make_section,
    save,
)
from supportal.test import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lexical_only(settings: Any) -> None:
    """These tests specify the lexical ranking (BM25, its filters, the SQL reference path);
    the hybrid one, and that it is this one without a model, is in test_hybrid_search.py."""
    settings.SEMANTIC_MODEL = "none"


VISITOR = AnonymousUser()


def titles(query: str, locale: str = "en", user: object = VISITOR, **kwargs: object) -> list[str]:
    results = search.search(query, locale=locale, user=user, **kwargs)  # type: ignore[arg-type]
    return [hit.translation.title for hit in results.hits]


class SearchRankingTests:
    def test_it_scores_with_bm25_and_the_title_boost(self) -> None:
        section = make_section()
        make_article(section, "Alpha", "")
        make_article(section, "Beta", "")
        # N=2, df=1: idf = ln(1 + 1.5/1.5); tf=1 and length = average: the BM25 factor is 1.
        hit = search.search("alpha", locale="en", user=VISITOR).hits[0]
        assert hit.score == pytest.approx(search.TITLE_BOOST * math.log(2))

    def test_it_finds_an_article_by_a_word_of_another_form(self) -> None:
        section = make_section()
        make_article(section, "Resetting your password", "Open the sign-in page.")
        assert titles("reset passwords") == ["Resetting your password"]

    def test_it_ranks_a_title_match_above_a_body_match(self) -> None:
        section = make_section()
        make_article(section, "Shipping times", "Invoices are sent by email after shipping.")
        make_article(section, "Downloading invoices", "Open the billing page.")
        assert titles("invoice")[0] == "Downloading invoices"

    def test_it_ranks_the_more_relevant_article_first(self) -> None:
        section = make_section()
        make_article(section, "Export data", "You can export your contacts to CSV.")
        make_article(
            section, "Export contacts to CSV", "Contacts export: choose contacts, export as CSV."
        )
        assert titles("export contacts csv")[0] == "Export contacts to CSV"

    def test_it_reports_the_total_and_pages_through_results(self) -> None:
        section = make_section()
        for n in range(7):
            make_article(section, f"Printer guide {n}", "printer " * (n + 1))
        first = search.search("printer", locale="en", user=VISITOR, limit=5)
        second = search.search("printer", locale="en", user=VISITOR, offset=5, limit=5)
        assert first.total == second.total == 7
        assert len(first.hits) == 5 and len(second.hits) == 2
        assert not {h.translation.pk for h in first.hits} & {h.translation.pk for h in second.hits}
        assert search.search("printer", locale="en", user=VISITOR, offset=50).total == 7

    def test_it_searches_only_the_requested_language(self) -> None:
        section = make_section()
        make_article(section, "비밀번호 재설정 방법", locale="ko")
        make_article(section, "Password reset", locale="en")
        assert titles("비밀번호", locale="ko") == ["비밀번호 재설정 방법"]
        assert titles("비밀번호", locale="en") == []
        assert titles("password", locale="ko") == []

    def test_it_finds_korean_with_particles_and_spacing_variants(self) -> None:
        section = make_section()
        make_article(section, "비밀번호를 잊어버렸어요", locale="ko")
        make_article(section, "배송 조회 방법", locale="ko")
        assert titles("비밀번호 잊어버림", locale="ko")[0] == "비밀번호를 잊어버렸어요"
        assert titles("배송조회", locale="ko")[0] == "배송 조회 방법"

    def test_it_finds_japanese_and_chinese_by_bigrams(self) -> None:
        section = make_section()
        make_article(section, "パスワードを再設定する", locale="ja")
        make_article(section, "如何重置密码", locale="zh-hans")
        assert titles("パスワード", locale="ja") == ["パスワードを再設定する"]
        assert titles("重置密码", locale="zh-hans") == ["如何重置密码"]

    def test_it_filters_by_category(self) -> None:
        accounts = make_section()
        billing = make_section({"en": "Billing"}, {"en": "Invoices"})
        make_article(accounts, "Change your email address")
        make_article(billing, "Change your billing email")
        found = titles("email", category_id=billing.category_id)
        assert found == ["Change your billing email"]


class SearchVisibilityTests:
    def test_it_hides_agents_only_drafts_scheduled_and_expired_articles_from_customers(
        self, personas: Personas
    ) -> None:
        section = make_section()
        make_article(section, "Refund everyone")
        make_article(section, "Refund signed in", visibility=Visibility.SIGNED_IN)
        make_article(section, "Refund agents", visibility=Visibility.AGENTS)
        make_article(section, "Refund draft", status="draft")
        make_article(section, "Refund scheduled", publish_at=hours(2))
        make_article(section, "Refund expired", unpublish_at=hours(-1))
        assert titles("refund") == ["Refund everyone"]
        assert sorted(titles("refund", user=personas.customer)) == [
            "Refund everyone",
            "Refund signed in",
        ]
        assert sorted(titles("refund", user=personas.agent)) == [
            "Refund agents",
            "Refund everyone",
            "Refund signed in",
        ]

    def test_it_shows_a_scheduled_article_once_its_time_comes(self) -> None:
        section = make_section()
        make_article(section, "Holiday opening hours", publish_at=hours(-1))
        make_article(section, "Summer opening hours", unpublish_at=hours(1))
        assert sorted(titles("opening hours")) == [
            "Holiday opening hours",
            "Summer opening hours",
        ]

    def test_it_follows_publish_unpublish_and_edits(self) -> None:
        section = make_section()
        article = make_article(section, "Gift cards", "Buy a gift card.", status="draft")
        assert titles("gift") == []
        save(article, "Gift cards", "Buy a gift card.")
        assert titles("gift") == ["Gift cards"]
        save(article, "Vouchers", "Buy a voucher.")
        assert titles("gift") == []
        assert titles("voucher") == ["Vouchers"]
        save(article, "Vouchers", "Buy a voucher.", status="draft")
        assert titles("voucher") == []
        assert not SearchDocument.objects.exists()
        assert not SearchPosting.objects.exists()

    def test_it_unindexes_a_deleted_article(self) -> None:
        section = make_section()
        article = make_article(section, "Loyalty points")
        search.unindex_article(article.pk)
        assert titles("loyalty") == []

    def test_it_rebuilds_the_whole_index(self) -> None:
        section = make_section()
        make_article(section, "Loyalty points")
        make_article(section, "Loyalty draft", status="draft")
        make_article(section, "Loyalty news", kind=Article.Kind.ANNOUNCEMENT)
        SearchPosting.objects.all().delete()
        SearchDocument.objects.all().delete()
        assert search.reindex_all() == 2
        assert sorted(titles("loyalty")) == ["Loyalty news", "Loyalty points"]


class SearchInputTests:
    @pytest.mark.parametrize(
        "query",
        [
            "",
            "   ",
            "?!.,;",
            '"password',
            "pass* NEAR(reset) title:foo (a OR b) -x AND",
            "' OR 1=1; DROP TABLE helpcenter_searchposting; --",
            "%_\\",
            "a" * 5000,
            "\x00\ud7a3\U0001f600",
        ],
    )
    def test_it_never_raises_on_odd_queries(self, query: str) -> None:
        section = make_section()
        make_article(section, "Password reset (NEAR) title: help")
        results = search.search(query, locale="en", user=VISITOR)
        assert results.total >= 0
        assert len(results.query) <= search.MAX_QUERY_LENGTH

    def test_it_searches_syntax_characters_as_text(self) -> None:
        section = make_section()
        make_article(section, "Password reset (NEAR) title: help")
        assert titles('"password" NEAR (reset)') == ["Password reset (NEAR) title: help"]


class SnippetTests:
    def test_it_marks_the_matched_words_and_escapes_the_text(self) -> None:
        section = make_section()
        make_article(
            section,
            "Scripts",
            "Never paste <script>alert(1)</script> into the console. Passwords stay private.",
        )
        hit = search.search("password", locale="en", user=VISITOR).hits[0]
        assert "<mark>Passwords</mark>" in hit.snippet_html
        assert "<script>" not in hit.snippet_html
        assert "&lt;script&gt;" in hit.snippet_html or "alert" not in hit.snippet_html

    def test_it_cuts_an_excerpt_around_the_first_match(self) -> None:
        section = make_section()
        body = "Intro words. " * 60 + "The refund arrives in five days. " + "Outro. " * 60
        make_article(section, "Money back", body)
        snippet = search.search("refund", locale="en", user=VISITOR).hits[0].snippet_html
        assert snippet.startswith("…") and snippet.endswith("…")
        assert "<mark>refund</mark>" in snippet
        assert len(snippet) < 400

    def test_it_marks_korean_words(self) -> None:
        section = make_section()
        make_article(section, "배송", "주문하신 상품의 배송은 보통 이틀이 걸립니다.", locale="ko")
        snippet = search.search("배송", locale="ko", user=VISITOR).hits[0].snippet_html
        assert "<mark>배송</mark>" in snippet


class SuggestTests:
    def test_it_suggests_titles_for_a_word_being_typed(self) -> None:
        section = make_section()
        make_article(section, "Password reset")
        make_article(section, "Agents password", visibility=Visibility.AGENTS)
        found = search.suggest("passw", locale="en", user=VISITOR)
        assert [t.title for t in found] == ["Password reset"]
