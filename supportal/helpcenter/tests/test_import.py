from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportal.helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    Section,
)
from supportal.helpcenter.tests.test_search_fixtures import committed

pytestmark = pytest.mark.django_db


def line(**overrides: object) -> str:
    data = {
        "external_id": "kb-1",
        "locale": "en",
        "title": "Reset your password",
        "body": "Open **Settings**.",
        "category": "Accounts",
        "section": "Signing in",
        "labels": ["faq", "login"],
        "status": "published",
    }
    data.update(overrides)
    return json.dumps({k: v for k, v in data.items() if v is not ...}, ensure_ascii=False)


def run_import(tmp_path: Path, *lines: str) -> tuple[str, str, int]:
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = StringIO(), StringIO()
    code = 0
    with committed():
        try:
            call_command("import_articles", str(path), stdout=out, stderr=err)
        except CommandError as error:
            code = error.returncode
            err.write(str(error))
    return out.getvalue(), err.getvalue(), code


class ImportTests:
    def test_it_creates_articles_categories_sections_and_labels(self, tmp_path: Path) -> None:
        out, _err, code = run_import(
            tmp_path,
            line(),
            line(locale="ko", title="비밀번호 재설정", category="계정", section="로그인"),
            line(external_id="kb-2", title="Invoices", section="Billing", status="draft"),
        )
        assert code == 0 and "3 created" in out
        article = Article.objects.get(external_id="kb-1")
        assert sorted(article.labels.values_list("name", flat=True)) == ["faq", "login"]
        assert Category.objects.count() == 1 and Section.objects.count() == 2
        assert CategoryTranslation.objects.get(locale="ko").name == "계정"
        assert article.translations.get(locale="ko").title == "비밀번호 재설정"
        assert ArticleTranslation.objects.get(article__external_id="kb-2").status == "draft"

    def test_it_is_idempotent(self, tmp_path: Path) -> None:
        lines = [line(), line(locale="ja", title="パスワード", category="アカウント")]
        run_import(tmp_path, *lines)
        revisions = ArticleRevision.objects.count()
        out, _err, code = run_import(tmp_path, *lines)
        assert code == 0 and "2 unchanged" in out
        assert Article.objects.count() == 1 and ArticleTranslation.objects.count() == 2
        assert ArticleRevision.objects.count() == revisions

    def test_it_updates_a_changed_translation(self, tmp_path: Path) -> None:
        run_import(tmp_path, line())
        out, _err, _code = run_import(tmp_path, line(title="Reset a forgotten password"))
        assert "1 updated" in out
        translation = ArticleTranslation.objects.get()
        assert translation.title == "Reset a forgotten password"
        assert translation.revisions.count() == 2

    def test_it_reports_bad_lines_with_their_numbers_and_keeps_the_good_ones(
        self, tmp_path: Path
    ) -> None:
        out, err, code = run_import(
            tmp_path,
            line(external_id="ok-1"),
            "{not json",
            line(external_id="bad-3", title=...),
            line(external_id="bad-4", locale="fr"),
            line(external_id="bad-5", status="archived"),
            line(external_id="bad-6", title="x" * 301),
            line(external_id="bad-7", labels="faq"),
            line(external_id="bad-8", title=42),
            "[1, 2]",
            line(external_id="ok-10"),
        )
        assert code == 1
        assert "2 created" in out
        assert sorted(Article.objects.values_list("external_id", flat=True)) == ["ok-1", "ok-10"]
        for number, reason in [
            (2, "invalid JSON"),
            (3, "missing field(s): title"),
            (4, "unknown locale 'fr'"),
            (5, "unknown status 'archived'"),
            (6, "longer than 300"),
            (7, "'labels' must be a list"),
            (8, "'title' must be a string"),
            (9, "JSON object"),
        ]:
            assert f"articles.jsonl:{number}: " in err
            assert reason in err
        assert "articles.jsonl:1:" not in err and "articles.jsonl:10:" not in err

    def test_it_makes_imported_articles_searchable(self, tmp_path: Path) -> None:
        run_import(tmp_path, line(), line(external_id="kb-2", title="Hidden", status="draft"))
        out = StringIO()
        call_command("search_articles", "password", "--json", stdout=out)
        assert [row["external_id"] for row in json.loads(out.getvalue())] == ["kb-1"]

    def test_it_imports_a_beir_corpus(self, tmp_path: Path) -> None:
        (tmp_path / "corpus.jsonl").write_text(
            '{"_id": "d1", "title": "배송 조회", "text": "주문 배송을 조회합니다."}\n'
            '{"_id": "d2", "title": "", "text": "환불 규정"}\n',
            encoding="utf-8",
        )
        with committed():
            call_command(
                "import_articles", "--beir", str(tmp_path), "--locale", "ko", stdout=StringIO()
            )
        assert ArticleTranslation.objects.get(article__external_id="d2").title == "환불 규정"
        out = StringIO()
        call_command("search_articles", "배송", "--locale", "ko", "--json", stdout=out)
        assert json.loads(out.getvalue())[0]["external_id"] == "d1"

    def test_it_refuses_a_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(CommandError):
            call_command("import_articles", str(tmp_path / "nope.jsonl"))


class ExportTests:
    def test_it_round_trips_through_export_and_import(self, tmp_path: Path) -> None:
        lines = [
            line(),
            line(locale="ko", title="비밀번호", category="계정", section="로그인"),
            line(external_id="kb-2", title="Draft one", status="draft", labels=[]),
        ]
        run_import(tmp_path, *lines)
        exported = tmp_path / "export.jsonl"
        call_command("export_articles", str(exported), stdout=StringIO(), stderr=StringIO())
        rows = [json.loads(text) for text in exported.read_text(encoding="utf-8").splitlines()]
        assert rows == [json.loads(text) for text in sorted(lines, key=_order)]
        out, _err, code = run_import(tmp_path, *exported.read_text().splitlines())
        assert code == 0 and "3 unchanged" in out


def _order(text: str) -> tuple[str, str]:
    data = json.loads(text)
    return (data["external_id"], data["locale"])
