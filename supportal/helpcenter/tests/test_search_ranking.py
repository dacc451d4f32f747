"""The in-process ranking against BM25 from the raw rows and against the SQL reference path,
its cache through writes, and the statistics it relies on."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from supportal.helpcenter import ranking, search, services
from supportal.helpcenter.models import (
    Article,
    SearchDocument,
    SearchPosting,
    SearchStats,
    SearchTerm,
    Visibility,
    visibilities_for,
)
from supportal.helpcenter.tests.test_search_fixtures import hours, make_article, make_section, save
from supportal.test import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lexical_only(settings: Any) -> None:
    """These tests specify the lexical ranking (BM25, its filters, the SQL reference path);
    the hybrid one, and that it is this one without a model, is in test_hybrid_search.py."""
    settings.SEMANTIC_MODEL = "none"


VISITOR = AnonymousUser()
QUERIES = {
    "en": ["password reset", "invoice download", "cancel order", "mobile app", "refund"],
    "ko": ["비밀번호 재설정", "주문 취소", "알림"],
    "ja": ["パスワード 再設定"],
    "zh-hans": ["重置密码"],
}


def exhaustive(
    query: str, locale: str, user: object, category_id: int | None = None
) -> list[tuple[int, float]]:
    """BM25 from the posting and document rows alone (live aggregates, filters in Python)."""
    terms = search._query_terms(query)
    documents = SearchDocument.objects.filter(locale=locale)
    stats = documents.aggregate(n=Count("pk"), title=Avg("title_length"), body=Avg("body_length"))
    postings = SearchPosting.objects.filter(locale=locale, term__in=list(terms))
    df = dict(
        postings.values("term")
        .annotate(n=Count("document_id", distinct=True))
        .values_list("term", "n")
    )
    visible = set(
        documents.filter(visibility__in=[str(v) for v in visibilities_for(user)])
        .filter(Q(publish_at__isnull=True) | Q(publish_at__lte=hours(0)))
        .filter(Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=hours(0)))
        .filter(**({"category_id": category_id} if category_id else {}))
        .values_list("pk", flat=True)
    )
    lengths = {d.pk: (d.title_length, d.body_length) for d in documents}
    averages = {"t": max(stats["title"], 1.0), "b": max(stats["body"], 1.0)}
    scores: dict[int, float] = defaultdict(float)
    for posting in postings:
        if posting.document_id not in visible:
            continue
        idf = math.log(1 + (stats["n"] - df[posting.term] + 0.5) / (df[posting.term] + 0.5))
        length = lengths[posting.document_id][0 if posting.field == "t" else 1]
        tf = posting.frequency
        part = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / averages[posting.field]))
        boost = search.TITLE_BOOST if posting.field == "t" else 1.0
        scores[posting.document_id] += terms[posting.term] * idf * boost * part
    return sorted(scores.items(), key=lambda item: (-round(item[1], 6), item[0]))


def assert_statistics_match_the_index() -> None:
    for locale in ("en", "ko", "ja", "zh-hans"):
        documents = SearchDocument.objects.filter(locale=locale)
        live = documents.aggregate(n=Count("pk"), t=Sum("title_length"), b=Sum("body_length"))
        stats = SearchStats.objects.filter(locale=locale).first()
        kept = (stats.documents, stats.title_total, stats.body_total) if stats else (0, 0, 0)
        assert kept == (live["n"], live["t"] or 0, live["b"] or 0)
        postings = SearchPosting.objects.filter(locale=locale)
        expected = {
            row["term"]: (row["n"], row["titles"])
            for row in postings.values("term").annotate(
                n=Count("document_id", distinct=True), titles=Count("pk", filter=Q(field="t"))
            )
        }
        rows = SearchTerm.objects.filter(locale=locale)
        assert {row.term: (row.documents, row.title_documents) for row in rows} == expected


@pytest.fixture
def corpus(personas: Personas) -> list[int]:
    """Generated articles (a tiny vocabulary: many equal scores) plus hidden ones."""
    call_command("generate_articles", "--count", "240", verbosity=0)
    section = Article.objects.filter(section__isnull=False).first().section
    for n in range(3):
        make_article(section, "Reset your password", "Reset it.", visibility=Visibility.AGENTS)
        make_article(section, "Reset your password", "Reset it soon.", publish_at=hours(n + 1))
        make_article(section, "Reset your password", "Reset it now.", unpublish_at=hours(-n - 1))
        make_article(section, "Reset your password", "Draft.", status="draft")
    return sorted({a.section.category_id for a in Article.objects.exclude(section=None)})


class RankingTests:
    def test_it_ranks_exactly_like_bm25_and_the_sql_path_with_ties_and_filters(
        self, corpus: list[int], personas: Personas
    ) -> None:
        for locale, queries in QUERIES.items():
            for query in queries:
                for user in (VISITOR, personas.agent):
                    for category_id in (None, corpus[1]):
                        expected = exhaustive(query, locale, user, category_id)
                        for offset, limit in ((0, 10), (4, 4)):
                            asked = {
                                "locale": locale,
                                "user": user,
                                "category_id": category_id,
                                "offset": offset,
                                "limit": limit,
                            }
                            results = search.search(query, **asked)
                            got = [hit.translation.pk for hit in results.hits]
                            hidden = SearchDocument.objects.filter(pk__in=got).exclude(
                                visibility__in=[str(v) for v in visibilities_for(user)]
                            )
                            assert not hidden.exists()
                            want = [pk for pk, _score in expected[offset : offset + limit]]
                            assert got == want, (query, locale, user, category_id, offset)
                            scores = [hit.score for hit in results.hits]
                            wanted = [score for _pk, score in expected[offset : offset + limit]]
                            assert scores == pytest.approx(wanted, rel=1e-9)
                            assert results.total == min(len(expected), search.TOTAL_CAP + 1)
                            in_sql = search.search(query, **asked, reference=True)
                            assert [hit.translation.pk for hit in in_sql.hits] == got
                            assert in_sql.total == results.total

    def test_it_counts_totals_only_up_to_the_cap(
        self, corpus: list[int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(search, "TOTAL_CAP", 20)
        everything = len(exhaustive("password", "en", VISITOR))
        assert everything > 21
        results = search.search("password", locale="en", user=VISITOR)
        assert (results.total, results.more, results.shown_total) == (21, True, 20)
        few = len(exhaustive("password", "en", VISITOR, 999))
        assert search.search("password", locale="en", user=VISITOR, category_id=999).total == few

    def test_it_keeps_its_statistics_exact_through_edits_and_unpublishing(
        self, corpus: list[int]
    ) -> None:
        assert_statistics_match_the_index()
        article = Article.objects.filter(translations__locale="en").first()
        save(article, "Password password printer", "Printer words " * 30)
        other = Article.objects.filter(translations__locale="ko").first()
        save(other, "배송 조회", "초안", locale="ko", status="draft")
        assert_statistics_match_the_index()
        search.unindex_article(article.pk)
        assert_statistics_match_the_index()
        SearchStats.objects.all().delete()
        SearchTerm.objects.all().delete()
        search.reindex_all()
        assert_statistics_match_the_index()


class CacheTests:
    """Each process keeps the index in memory; every write must reach the next query."""

    def titles(self, query: str, user: object = VISITOR) -> list[str]:
        return [hit.translation.title for hit in search.search(query, locale="en", user=user).hits]

    def test_a_publish_an_edit_and_an_unpublish_show_at_the_next_query(
        self, personas: Personas
    ) -> None:
        first = make_article(None, "Printer setup", "Connect the printer.")
        assert self.titles("printer") == ["Printer setup"]
        second = make_article(None, "Printer paper jams", "Printer printer printer.")
        assert sorted(self.titles("printer")) == ["Printer paper jams", "Printer setup"]
        save(first, "Scanner setup", "Connect the scanner.")
        assert self.titles("printer") == ["Printer paper jams"]
        assert self.titles("scanner") == ["Scanner setup"]
        second.visibility = Visibility.AGENTS
        second.save()
        search.index_translation(second.translations.get(locale="en"))
        assert self.titles("printer") == []
        assert self.titles("printer", personas.agent) == ["Printer paper jams"]
        search.unindex_article(second.pk)
        assert self.titles("printer", personas.agent) == []

    def test_a_scheduled_article_appears_when_its_time_comes(self) -> None:
        make_article(None, "Holiday hours", "Closed.", publish_at=hours(1))
        make_article(None, "Holiday hours ended", "Open.", unpublish_at=hours(1))
        assert self.titles("holiday") == ["Holiday hours ended"]
        later = hours(2)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(timezone, "now", lambda: later)
            assert self.titles("holiday") == ["Holiday hours"]

    def test_a_section_moved_to_another_category_is_found_under_its_new_one(self) -> None:
        section = make_section({"en": "Devices"}, {"en": "Printers"})
        make_article(section, "Printer setup", "Connect the printer.")
        other = services.category_create(names={"en": "Hardware"})
        before = section.category_id

        def titles_in(category_id: int) -> list[str]:
            results = search.search("printer", locale="en", user=VISITOR, category_id=category_id)
            return [hit.translation.title for hit in results.hits]

        assert titles_in(before) == ["Printer setup"]
        services.section_update(
            section=section, category=other, names={"en": "Printers"}, position=0
        )
        assert titles_in(other.pk) == ["Printer setup"]
        assert titles_in(before) == []

    def test_a_small_memory_budget_gives_the_same_results(
        self, corpus: list[int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        expected = [pk for pk, _score in exhaustive("password reset", "en", VISITOR)[:10]]
        monkeypatch.setattr(ranking, "MAX_CACHED_POSTINGS", 5)
        ranking.clear()
        for _ in range(2):
            results = search.search("password reset", locale="en", user=VISITOR)
            assert [hit.translation.pk for hit in results.hits] == expected
        assert ranking._cached_postings <= 5


class SuggestionStatisticsTests:
    def test_it_completes_title_words_only_while_a_title_has_them(self) -> None:
        article = make_article(None, "Passwords and passkeys", "Body about passports.")
        assert search._prefix_terms("pass", "en") == ["passkey", "password"]
        save(article, "Sign-in keys", "Body about passports.")
        assert search._prefix_terms("pass", "en") == []
        titles = [t.title for t in search.suggest("sign pass", locale="en", user=VISITOR)]
        assert titles == ["Sign-in keys"]
