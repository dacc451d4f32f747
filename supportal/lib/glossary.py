"""The glossary check: each translation uses the agreed word for each glossary term.

python -m supportal.lib.glossary --check   # fail on entries that do not, listing each

docs/glossary.md holds two Markdown tables that this module reads: "Terms" (an English term and
its spellings, then the agreed translation per language) and "Exceptions" (term, language,
English text, reason). An entry is flagged when its English text contains a term as a whole
word, in any listed spelling, and its translation lacks the agreed word, unless an exception
names it. An exception that no longer matches a flagged entry is reported too, so the list
stays honest.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
LOCALE_DIR = ROOT / "locale"
LOCALES = ("ko", "ja", "zh_Hans")
ANY_LOCALE = "*"
# The English text of an exception may end with this to stand for the rest of a long text.
ELLIPSIS = "…"

# Placeholders and markup are not words: "%(group)s" must not count as the term "group".
_NOT_WORDS = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^{}]*\}|<[^<>]*>")


@dataclass(frozen=True)
class Term:
    english: str
    spellings: tuple[str, ...]
    translations: dict[str, str]

    def pattern(self) -> re.Pattern[str]:
        words = [r"[\s-]+".join(map(re.escape, s.split())) for s in self.spellings]
        return re.compile(r"\b(?:" + "|".join(words) + r")(?:s|es)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Allowed:
    term: str
    locale: str
    msgid: str
    reason: str

    def covers(self, term: str, locale: str, msgid: str) -> bool:
        if self.term != term or self.locale not in (locale, ANY_LOCALE):
            return False
        if self.msgid.endswith(ELLIPSIS):
            return msgid.startswith(self.msgid[: -len(ELLIPSIS)])
        return msgid == self.msgid


@dataclass(frozen=True)
class Glossary:
    terms: list[Term]
    exceptions: list[Allowed]


def _table(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first Markdown table under `## heading`, cells stripped."""
    section = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not section:
        raise ValueError(f"docs/glossary.md has no '## {heading}' section")
    rows = []
    for line in section.group(1).splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        if all(set(cell) <= set("-: ") for cell in cells):
            continue  # the line under the header
        rows.append(cells)
    return rows[1:]  # the header


def _unquote(cell: str) -> str:
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == "`" else cell


def parse(text: str) -> Glossary:
    terms = []
    for cells in _table(text, "Terms"):
        english, spellings, *translations = cells
        if len(translations) != len(LOCALES):
            raise ValueError(f"glossary term {english!r}: expected {len(LOCALES)} translations")
        terms.append(
            Term(
                english=english,
                spellings=tuple(s.strip() for s in spellings.split(",")),
                translations=dict(zip(LOCALES, map(_unquote, translations), strict=True)),
            )
        )
    exceptions = [
        Allowed(term=term, locale=locale, msgid=_unquote(msgid), reason=reason)
        for term, locale, msgid, reason in _table(text, "Exceptions")
    ]
    known = {term.english for term in terms}
    for exception in exceptions:
        if exception.term not in known or exception.locale not in (*LOCALES, ANY_LOCALE):
            raise ValueError(f"glossary exception for an unknown term or language: {exception}")
    return Glossary(terms=terms, exceptions=exceptions)


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [text for _, text in sorted(entry.msgstr_plural.items())]
    return [entry.msgstr]


def problems(glossary: Glossary, catalogues: dict[str, polib.POFile]) -> list[str]:
    """Every entry without its agreed word, and every exception that excuses nothing."""
    found = []
    used: set[Allowed] = set()
    patterns = [(term, term.pattern()) for term in glossary.terms]
    for locale, catalogue in catalogues.items():
        for entry in catalogue:
            if entry.obsolete or "fuzzy" in entry.flags:
                continue  # the completeness check reports these
            english = _NOT_WORDS.sub(" ", f"{entry.msgid} {entry.msgid_plural or ''}")
            translations = [text for text in _translations(entry) if text]
            for term, pattern in patterns:
                agreed = term.translations[locale]
                if not pattern.search(english) or all(agreed in t for t in translations):
                    continue
                excused = [
                    e for e in glossary.exceptions if e.covers(term.english, locale, entry.msgid)
                ]
                if excused:
                    used.update(excused)
                    continue
                shown = translations[0] if translations else ""
                found.append(
                    f"{locale}: {term.english!r} should read {agreed!r}: "
                    f"{entry.msgid!r} -> {shown!r}"
                )
    for exception in glossary.exceptions:
        if exception not in used:
            found.append(
                f"{exception.locale}: unused exception for {exception.term!r}: {exception.msgid!r}"
            )
    return found


def load_catalogues(locale_dir: Path = LOCALE_DIR) -> dict[str, polib.POFile]:
    return {
        locale: polib.pofile(str(locale_dir / locale / "LC_MESSAGES" / "django.po"))
        for locale in LOCALES
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        glossary = parse(GLOSSARY.read_text(encoding="utf-8"))
        found = problems(glossary, load_catalogues())
        for line in found:
            sys.stderr.write(line + "\n")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
