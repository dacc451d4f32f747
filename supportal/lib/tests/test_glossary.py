"""The glossary check: agreed words in every translation, with deliberate exceptions."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from supportal.lib import glossary

GLOSSARY = """# Glossary

## Terms

| Term | Spellings | ko | ja | zh_Hans |
| --- | --- | --- | --- | --- |
| request | request | `문의` | `お問い合わせ` | `工单` |
| sign in | sign in, sign-in | `로그인` | `サインイン` | `登录` |

## Exceptions

| Term | Language | English text | Reason |
| --- | --- | --- | --- |
{exceptions}
"""

ENTRIES = {
    "ko": [
        ("Your requests", "내 문의"),
        ("Bad request", "잘못된 요청"),
        ("Last sign-in", "마지막 로그인"),
    ],
    "ja": [
        ("Your requests", "お問い合わせ一覧"),
        ("Bad request", "不正なリクエスト"),
        ("Last sign-in", "最終ログイン"),
    ],
    "zh_Hans": [
        ("Your requests", "我的工单"),
        ("Bad request", "请求无效"),
        ("Last sign-in", "上次登录"),
        ("Members of %(group)s", "%(group)s 的成员"),
        ("Request new requests", ""),  # untranslated: the completeness check's business
    ],
}


def write_catalogues(root: Path) -> Path:
    for locale, entries in ENTRIES.items():
        catalogue = polib.POFile()
        for msgid, msgstr in entries:
            catalogue.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
        path = root / locale / "LC_MESSAGES"
        path.mkdir(parents=True)
        catalogue.save(str(path / "django.po"))
    return root


def check(root: Path, exceptions: str = "") -> list[str]:
    parsed = glossary.parse(GLOSSARY.format(exceptions=exceptions))
    return glossary.problems(parsed, glossary.load_catalogues(root))


class GlossaryTests:
    def test_it_lists_each_entry_without_the_agreed_word(self, tmp_path: Path) -> None:
        assert check(write_catalogues(tmp_path)) == [
            "ko: 'request' should read '문의': 'Bad request' -> '잘못된 요청'",
            "ja: 'request' should read 'お問い合わせ': 'Bad request' -> '不正なリクエスト'",
            "ja: 'sign in' should read 'サインイン': 'Last sign-in' -> '最終ログイン'",
            "zh_Hans: 'request' should read '工单': 'Bad request' -> '请求无效'",
        ]

    def test_it_honours_the_exceptions_and_reports_unused_ones(self, tmp_path: Path) -> None:
        exceptions = (
            "| request | * | `Bad request` | The HTTP 400 page. |\n"
            "| sign in | ja | `Last sign-…` | Testing the prefix form. |\n"
            "| request | ko | `Your requests` | Excuses nothing: it already reads 문의. |"
        )
        assert check(write_catalogues(tmp_path), exceptions) == [
            "ko: unused exception for 'request': 'Your requests'",
        ]

    def test_it_runs_clean_on_the_projects_catalogues(self) -> None:
        parsed = glossary.parse(glossary.GLOSSARY.read_text(encoding="utf-8"))
        assert glossary.problems(parsed, glossary.load_catalogues()) == []

    def test_it_refuses_an_exception_for_an_unknown_term(self) -> None:
        with pytest.raises(ValueError, match="unknown term"):
            glossary.parse(GLOSSARY.format(exceptions="| requests | ko | `x` | typo |"))
