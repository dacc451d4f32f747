"""Help-center articles in and out as JSON Lines, one translation a line (docs/import-format.md).

Every write goes through the services. Re-importing the same file changes nothing: a line is
matched to its translation by (external_id, locale) and only a real change is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from supportal.helpcenter import search, services
from supportal.helpcenter.models import (
    Article,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    Section,
    SectionTranslation,
)

REQUIRED = ("external_id", "locale", "title", "body", "category", "section", "status")
MAX_LENGTHS = {"external_id": 200, "title": 300, "category": 200, "section": 200}
MAX_LABEL_LENGTH = 64
STATUSES = {choice.value for choice in ArticleTranslation.Status}


class LineError(ValueError):
    """A line that cannot be imported, with the reason a person can act on."""


@dataclass
class Row:
    external_id: str
    locale: str
    title: str
    body: str
    category: str
    section: str
    status: str
    labels: list[str] = field(default_factory=list)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_line(text: str) -> Row:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise LineError(f"invalid JSON ({error.args[0] if error.args else error})") from None
    if not isinstance(data, dict):
        raise LineError("a line must be a JSON object")
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise LineError(f"missing field(s): {', '.join(missing)}")
    for name in REQUIRED:
        if not isinstance(data[name], str):
            raise LineError(f"field {name!r} must be a string")
    for name in ("external_id", "title", "category", "section"):
        if not data[name].strip():
            raise LineError(f"field {name!r} must not be empty")
    for name, limit in MAX_LENGTHS.items():
        if len(data[name]) > limit:
            raise LineError(f"field {name!r} is longer than {limit} characters")
    if data["locale"] not in settings.LANGUAGE_CODES:
        raise LineError(
            f"unknown locale {data['locale']!r} (expected one of "
            f"{', '.join(settings.LANGUAGE_CODES)})"
        )
    if data["status"] not in STATUSES:
        raise LineError(f"unknown status {data['status']!r} (expected draft or published)")
    labels = data.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise LineError("field 'labels' must be a list of strings")
    if any(len(label.strip()) > MAX_LABEL_LENGTH for label in labels):
        raise LineError(f"a label is longer than {MAX_LABEL_LENGTH} characters")
    return Row(
        external_id=data["external_id"].strip(),
        locale=data["locale"],
        title=data["title"].strip(),
        body=data["body"],
        category=data["category"].strip(),
        section=data["section"].strip(),
        status=data["status"],
        labels=labels,
    )


def _find_section(row: Row) -> Section:
    """The section named so in the category named so (in the row's language), created if new."""
    category_row = (
        CategoryTranslation.objects.filter(locale=row.locale, name=row.category)
        .order_by("category_id")
        .first()
    )
    if category_row is None:
        category = services.category_create(names={row.locale: row.category})
    else:
        category = category_row.category
    section_row = (
        SectionTranslation.objects.filter(
            locale=row.locale, name=row.section, section__category=category
        )
        .order_by("section_id")
        .first()
    )
    if section_row is not None:
        return section_row.section
    return services.section_create(category=category, names={row.locale: row.section})


def _section_for(row: Row, article: Article | None) -> Section:
    """The article's section when the row names it (or names nothing yet in its language).

    Lines in other languages of an existing article name the same category and section in their
    own language: those names are added to it rather than making a second category.
    """
    if article is None or article.section is None:
        return _find_section(row)
    section = article.section
    category: Category = section.category
    category_name = category.translations.filter(locale=row.locale).first()
    section_name = section.translations.filter(locale=row.locale).first()
    if category_name is None:
        # No service writes a translation of an existing category or section; these two
        # creates are the importer's own, inside its transaction.
        CategoryTranslation.objects.create(category=category, locale=row.locale, name=row.category)
    elif category_name.name != row.category:
        return _find_section(row)
    if section_name is None:
        SectionTranslation.objects.create(section=section, locale=row.locale, name=row.section)
    elif section_name.name != row.section:
        return _find_section(row)
    return section


def _label_names(labels: Iterable[str]) -> list[str]:
    return sorted({label.strip().lower() for label in labels if label.strip()})


@transaction.atomic
def import_row(row: Row) -> str:
    """Creates or updates one translation; returns "created", "updated" or "unchanged"."""
    article = (
        Article.objects.select_related("section__category")
        .filter(external_id=row.external_id)
        .first()
    )
    section = _section_for(row, article)
    labels = _label_names(row.labels)
    if article is None:
        article = services.article_create(
            section=section, external_id=row.external_id, labels=labels
        )
    elif (
        article.section_id != section.pk
        or _label_names(article.labels.values_list("name", flat=True)) != labels
    ):
        services.article_update_settings(
            article=article,
            section=section,
            visibility=article.visibility,
            promoted=article.promoted,
            position=article.position,
            labels=labels,
        )
    translation = ArticleTranslation.objects.filter(article=article, locale=row.locale).first()
    if translation is not None and (translation.title, translation.body, translation.status) == (
        row.title,
        row.body,
        row.status,
    ):
        return "unchanged"
    services.translation_save(
        article=article,
        locale=row.locale,
        title=row.title,
        body=row.body,
        status=row.status,
        publish_at=translation.publish_at if translation else None,
        unpublish_at=translation.unpublish_at if translation else None,
    )
    return "updated" if translation else "created"


def import_lines(lines: Iterable[str], progress: Callable[[int], object] | None = None) -> Report:
    """Imports JSON lines; a bad line is reported with its number and skipped whole.

    Indexing waits until the end and runs in bulk, which is much faster for large files.
    """
    report = Report()
    # One transaction for the file (a commit per line is most of the time on SQLite); each line
    # is its own savepoint, so a bad one leaves nothing behind. The transaction commits, and its
    # indexing work is collected, before the deferred indexing runs.
    with search.indexing_deferred() as pending, transaction.atomic():
        for number, text in enumerate(lines, start=1):
            if progress:
                progress(1)
            if not text.strip():
                continue
            try:
                outcome = import_row(parse_line(text))
            except LineError as error:
                report.errors.append((number, str(error)))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
    search.reindex_ids(pending)
    return report


def beir_lines(corpus: Path, locale: str, category: str, section: str) -> Iterator[str]:
    """A BEIR corpus.jsonl (_id, title, text) as import lines, published."""
    with corpus.open(encoding="utf-8") as handle:
        for text in handle:
            if not text.strip():
                yield text
                continue
            try:
                data: Any = json.loads(text)
                title = data.get("title") or data["text"][:120]
                line = {
                    "external_id": data["_id"],
                    "locale": locale,
                    "title": title,
                    "body": data.get("text", ""),
                    "category": category,
                    "section": section,
                    "status": "published",
                    "labels": [],
                }
            except (ValueError, KeyError, TypeError, AttributeError):
                yield text  # reported as a bad line by the importer
                continue
            yield json.dumps(line, ensure_ascii=False)


def _name(names: dict[tuple[int, str], str], pk: int | None, locale: str) -> str:
    """A category's or section's name in a language, else the default language, else any."""
    if pk is None:
        return "General"
    found = names.get((pk, locale)) or names.get((pk, settings.LANGUAGE_CODE))
    return found or next((v for (key, _lang), v in names.items() if key == pk), "General")


def export_lines(progress: Callable[[int], object] | None = None) -> Iterator[str]:
    """Every article translation as an import line, in a stable order."""
    categories = {
        (row.category_id, row.locale): row.name for row in CategoryTranslation.objects.all()
    }
    sections = {(row.section_id, row.locale): row.name for row in SectionTranslation.objects.all()}
    translations = (
        ArticleTranslation.objects.select_related("article__section")
        .prefetch_related("article__labels")
        .order_by("article_id", "locale")
    )
    for translation in translations.iterator(chunk_size=2000):
        article = translation.article
        section = article.section
        locale = translation.locale

        line = {
            "external_id": article.external_id or f"article-{article.pk}",
            "locale": locale,
            "title": translation.title,
            "body": translation.body,
            "category": _name(categories, section.category_id if section else None, locale),
            "section": _name(sections, section.pk if section else None, locale),
            "labels": sorted(label.name for label in article.labels.all()),
            "status": translation.status,
        }
        if progress:
            progress(1)
        yield json.dumps(line, ensure_ascii=False)


def write_export(handle: IO[str], progress: Callable[[int], object] | None = None) -> int:
    count = 0
    for line in export_lines(progress):
        handle.write(line + "\n")
        count += 1
    return count
