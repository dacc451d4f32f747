"""Hybrid (lexical + dense) help-center search, with the real embedding model: paraphrases
found through every place customers search, fusion order, permissions, the fallback without a
model and odd input."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from supportal.helpcenter import ranking, search, vectors
from supportal.helpcenter.models import Article, Visibility
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section
from supportal.semantic import embedding, index
from supportal.semantic.models import Embedding, VectorSet
from supportal.test import Personas

pytestmark = pytest.mark.django_db

# Each query shares no indexed word with the article it should find (checked by the lexical
# ranking finding nothing), and the distractors are about other things.
PARAPHRASES = {
    "en": (
        "I can't remember my login credentials",
        "Reset your password",
        "Open the sign-in page and choose Forgot password to get a new one by email.",
    ),
    "ko": (
        "너무 많이 먹었어",
        "과식했을 때 대처법",
        "배가 부르고 속이 더부룩할 때 소화를 돕는 방법.",
    ),
}
DISTRACTORS = {
    "en": [
        ("Refund policy", "Money is returned within 30 days of the purchase."),
        ("Printer setup", "Connect the printer to the office Wi-Fi."),
        ("Track your parcel", "Follow the delivery with the tracking number."),
    ],
    "ko": [
        ("환불 정책", "구매 후 30일 이내에 환불해 드립니다."),
        ("프린터 설정", "사무실 와이파이에 프린터를 연결하세요."),
        ("배송 조회", "송장 번호로 배송 상태를 확인하세요."),
    ],
}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    index.clear()
    ranking.clear()


def url(name: str, lang: str = "en", **kwargs: object) -> str:
    with translation.override(lang):
        return reverse(name, kwargs=kwargs or None)


def result_titles(html: str) -> list[str]:
    return re.findall(r'class="search-result-title"><a href="[^"]+">([^<]+)</a>', html)


def make_help_center(locale: str) -> Article:
    """The paraphrase's target and the distractors, published in `locale`."""
    section = make_section({locale: "Help"}, {locale: "General"})
    for title, body in DISTRACTORS[locale]:
        make_article(section, title, body, locale=locale)
    _query, title, body = PARAPHRASES[locale]
    return make_article(section, title, body, locale=locale)


def titles(query: str, locale: str, user: object = None, **options: Any) -> list[str]:
    results = search.search(query, locale=locale, user=user or AnonymousUser(), **options)
    return [hit.translation.title for hit in results.hits]


class HybridSearchTests:
    @pytest.mark.parametrize("locale", ["en", "ko"])
    def test_it_finds_a_paraphrase_with_no_shared_word_on_the_search_page(
        self, client: Client, locale: str
    ) -> None:
        make_help_center(locale)
        query, title, _body = PARAPHRASES[locale]
        assert titles(query, locale, dense=False) == []  # no word in common
        html = client.get(url("helpcenter:search", locale), {"q": query}).content.decode()
        assert result_titles(html)[0] == title

    @pytest.mark.parametrize("locale", ["en", "ko"])
    def test_it_suggests_a_paraphrase_while_typing(self, client: Client, locale: str) -> None:
        make_help_center(locale)
        query, title, _body = PARAPHRASES[locale]
        html = client.get(url("helpcenter:search_suggest", locale), {"q": query}).content.decode()
        options = re.findall(r'role="option"[^>]*>([^<]*)</li>', html)
        assert options and options[0] == title

    def test_suggestions_whose_words_fill_the_list_do_not_wait_for_the_model(self) -> None:
        section = make_section()
        for n in range(6):
            make_article(section, f"Printer guide {n}")
        embedding._queries.clear()
        found = search.suggest("printer gu", locale="en", user=AnonymousUser())
        assert [t.title for t in found] == titles("printer gu", "en", dense=False, limit=5)
        assert len(found) == 5
        assert not embedding._queries  # the model did not run
        search.suggest("laser toner", locale="en", user=AnonymousUser())
        assert embedding._queries  # no word of it is in a title: the list was short

    @pytest.mark.parametrize("locale", ["en", "ko"])
    def test_it_suggests_a_paraphrase_on_the_request_form_and_in_the_chat(
        self, client: Client, locale: str
    ) -> None:
        # The chat widget's pre-chat form asks the same view (templates/chat/start.html).
        make_help_center(locale)
        query, title, _body = PARAPHRASES[locale]
        html = client.get(url("tickets:suggest", locale), {"subject": query}).content.decode()
        assert title in html

    def test_each_language_searches_its_own_vectors_among_all_of_them(self) -> None:
        # The index keeps each language's vectors side by side; a query reads its slice only.
        targets = {locale: make_help_center(locale) for locale in ("ko", "en")}
        found = index.vectors(vectors.KIND)
        assert set(found.groups) == {"en", "ko"}
        for locale in ("en", "ko"):
            query, title, _body = PARAPHRASES[locale]
            assert titles(query, locale)[0] == title
            translation = targets[locale].translations.get(locale=locale)
            inside, rows = found.positions(np.array([translation.pk], dtype=np.int64))
            start, stop = found.groups[locale]
            assert inside.all() and start <= rows[0] < stop

    def test_it_keeps_an_exact_lexical_match_on_top(self) -> None:
        make_help_center("en")
        section = make_section({"en": "More"}, {"en": "More"})
        make_article(section, "Forgot your login", "Someone else's credentials are not yours.")
        found = titles("login credentials", "en")
        assert found[0] == "Forgot your login"
        assert "Reset your password" in found  # the dense neighbour comes after it

    def test_it_counts_lexical_matches_and_dense_neighbours_once(self) -> None:
        make_help_center("en")
        results = search.search("password reset", locale="en", user=AnonymousUser())
        shown = [hit.translation.pk for hit in results.hits]
        assert len(shown) == len(set(shown)) == results.total
        assert results.hits[0].translation.title == "Reset your password"


class HybridPermissionTests:
    """Everything hidden is the paraphrase's best dense match: a leak would show it first."""

    @pytest.fixture
    def hidden(self) -> None:
        make_help_center("en")
        _query, title, body = PARAPHRASES["en"]
        section = make_section({"en": "Hidden"}, {"en": "Hidden"})
        now = timezone.now()
        make_article(section, f"{title} (agents)", body, visibility=Visibility.AGENTS)
        make_article(section, f"{title} (customers)", body, visibility=Visibility.SIGNED_IN)
        make_article(section, f"{title} (draft)", body, status="draft")
        make_article(section, f"{title} (other language)", body, locale="ja")
        make_article(section, f"{title} (scheduled)", body, publish_at=now + timedelta(days=1))
        make_article(section, f"{title} (expired)", body, unpublish_at=now - timedelta(days=1))

    @pytest.mark.parametrize(
        ("who", "visible"),
        [
            ("anonymous", set()),
            ("customer", {"(customers)"}),
            ("agent", {"(customers)", "(agents)"}),
        ],
    )
    def test_it_never_shows_what_the_viewer_may_not_see(
        self, client: Client, personas: Personas, hidden: None, who: str, visible: set[str]
    ) -> None:
        if who != "anonymous":
            client.force_login(getattr(personas, who))
        query = PARAPHRASES["en"][0]
        page = client.get(url("helpcenter:search"), {"q": query, "page": "1"}).content.decode()
        suggested = client.get(url("helpcenter:search_suggest"), {"q": query}).content.decode()
        form = client.get(url("tickets:suggest"), {"subject": query}).content.decode()
        for html in (page, suggested, form):
            marks = set(
                re.findall(
                    r"\((?:agents|customers|draft|other language|scheduled|"
                    r"expired)\)",
                    html,
                )
            )
            assert marks <= visible
        assert set(re.findall(r"\((?:agents|customers)\)", page)) == visible

    def test_it_relates_only_visible_articles_by_meaning(
        self, client: Client, personas: Personas, hidden: None
    ) -> None:
        target = Article.objects.get(translations__title="Reset your password")
        client.force_login(personas.customer)
        html = client.get(url("helpcenter:article", article_id=target.pk)).content.decode()
        related = html.split('id="hc-related"')[1].split("</section>")[0]
        assert "(customers)" in related  # its nearest neighbour, in another section
        for mark in ("(agents)", "(draft)", "(other language)", "(scheduled)", "(expired)"):
            assert mark not in related


class HybridFallbackTests:
    def test_without_a_model_it_ranks_exactly_as_the_lexical_ranking(self, settings: Any) -> None:
        make_help_center("en")
        section = make_section({"en": "More"}, {"en": "More"})
        make_article(section, "Password rules", "A password needs twelve characters.")
        queries = ["password", "refund money", "printer", PARAPHRASES["en"][0]]
        hybrid = [titles(query, "en") for query in queries]
        lexical = [titles(query, "en", dense=False) for query in queries]
        assert hybrid != lexical  # the model changes something here...
        settings.SEMANTIC_MODEL = "none"
        assert [titles(query, "en") for query in queries] == lexical  # ...and without it, not
        for query in queries:
            ranked = search.search(query, locale="en", user=AnonymousUser())
            reference = search.search(query, locale="en", user=AnonymousUser(), reference=True)
            assert [(h.translation.pk, round(h.score, 6)) for h in ranked.hits] == [
                (h.translation.pk, round(h.score, 6)) for h in reference.hits
            ]
            assert ranked.total == reference.total

    def test_a_model_that_fails_to_load_leaves_search_lexical(self, settings: Any) -> None:
        make_help_center("en")
        lexical = titles("password", "en", dense=False)
        settings.SEMANTIC_MODEL = "sentence-transformers:/nowhere/model"
        assert titles("password", "en") == lexical
        assert titles(PARAPHRASES["en"][0], "en") == []

    def test_without_vectors_yet_it_ranks_lexically(self) -> None:
        make_help_center("en")
        Embedding.objects.all().delete()
        index.clear()
        assert titles("password", "en") == titles("password", "en", dense=False)


class HybridBadInputTests:
    @pytest.mark.parametrize(
        "query",
        [
            "password " * 120_000,  # about 1 MB
            "".join(chr(n % 256) for n in range(1_000_000)),  # binary-looking
            "\x00\x01\x02\ufffd",
        ],
    )
    def test_it_answers_odd_queries_in_bounded_time(self, client: Client, query: str) -> None:
        make_help_center("en")
        started = time.perf_counter()
        search.search(query, locale="en", user=AnonymousUser())
        search.suggest(query, locale="en", user=AnonymousUser())
        for name, field in (
            ("helpcenter:search", "q"),
            ("helpcenter:search_suggest", "q"),
            ("tickets:suggest", "subject"),
        ):
            response = client.get(url(name), {field: query[:200_000]})
            assert response.status_code == 200
        assert time.perf_counter() - started < 5.0


class HybridQueryCountTests:
    def test_the_search_page_reads_the_vector_generation_once_more(self, client: Client) -> None:
        make_help_center("en")
        client.get(url("helpcenter:search"), {"q": "printer setup"})  # warms the caches
        with CaptureQueriesContext(connection) as hybrid:
            client.get(url("helpcenter:search"), {"q": "password"})
        vector_reads = [q for q in hybrid.captured_queries if VectorSet._meta.db_table in q["sql"]]
        assert len(vector_reads) == 1
