from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportal.helpcenter.models import ArticleTranslation, SearchDocument, Visibility
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


class SearchArticlesCommandTests:
    def test_it_prints_the_ranking_as_json(self) -> None:
        section = make_section()
        first = make_article(section, "Export contacts to CSV", "Export contacts as CSV.")
        make_article(section, "Export data", "Contacts can be exported.")
        make_article(section, "Export agents", visibility=Visibility.AGENTS)
        rows = json.loads(run("search_articles", "export contacts", "--json", "--limit", "5"))
        assert [row["title"] for row in rows] == ["Export contacts to CSV", "Export data"]
        assert rows[0]["id"] == first.pk and rows[0]["score"] > rows[1]["score"]
        assert set(rows[0]) == {"id", "external_id", "title", "score"}

    def test_it_runs_a_file_of_queries(self, tmp_path: Path, settings: Any) -> None:
        # Lexically, so that a query matching nothing shows as []: with the model a one-article
        # help center offers its nearest article to anything (test_hybrid_search.py).
        settings.SEMANTIC_MODEL = "none"
        section = make_section()
        make_article(section, "배송 조회", locale="ko")
        queries = tmp_path / "queries.jsonl"
        queries.write_text('{"_id": "q1", "text": "배송"}\n{"_id": "q2", "text": "환불"}\n')
        out = run("search_articles", "--queries", str(queries), "--locale", "ko")
        rows = [json.loads(text) for text in out.splitlines()]
        assert [row["query_id"] for row in rows] == ["q1", "q2"]
        assert rows[0]["results"][0]["title"] == "배송 조회" and rows[1]["results"] == []

    def test_it_prints_a_readable_list_without_json(self) -> None:
        make_article(make_section(), "Password reset")
        assert "Password reset" in run("search_articles", "password")

    def test_it_refuses_an_unknown_locale(self) -> None:
        with pytest.raises(CommandError):
            run("search_articles", "x", "--locale", "fr")


class ReindexCommandTests:
    def test_it_rebuilds_the_index(self) -> None:
        section = make_section()
        make_article(section, "Password reset")
        make_article(section, "Draft", status="draft")
        SearchDocument.objects.all().delete()
        assert "Indexed 1 translations." in run("reindex")
        assert SearchDocument.objects.count() == 1


class GenerateArticlesCommandTests:
    def test_it_generates_indexed_articles_in_every_language(self) -> None:
        run("generate_articles", "--count", "40")
        assert ArticleTranslation.objects.count() == 40
        assert set(ArticleTranslation.objects.values_list("locale", flat=True)) == {
            "en",
            "ko",
            "ja",
            "zh-hans",
        }
        assert SearchDocument.objects.count() == 40
