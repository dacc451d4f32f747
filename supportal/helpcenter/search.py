"""Help-center search: the index and the query side.

The index is two tables, SearchDocument and SearchPosting, written here and nowhere else.
Ranking is BM25 with a title boost, computed in SQL the same way on SQLite and PostgreSQL:
document frequencies and average field lengths come from the index tables, the per-term weights
are passed in as numbers, and ties are broken by id, so a query ranks identically on both.
Visibility, language, category and the publish window are applied at query time.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from supportal.helpcenter.models import (
    Article,
    ArticleTranslation,
    SearchDocument,
    SearchPosting,
    visibilities_for,
)
from supportal.lib import textanalysis
from supportal.lib.markdown import plain_text

MAX_QUERY_LENGTH = 500
MAX_QUERY_TERMS = 64
TITLE_BOOST = 3.0  # tuned on faq-en: 1 -> 0.803, 2 -> 0.825, 3 -> 0.831 MRR@10
K1 = 1.2
B = 0.75
SNIPPET_LENGTH = 220
BATCH_SIZE = 5000
INDEXED_KINDS = (Article.Kind.ARTICLE, Article.Kind.ANNOUNCEMENT)


@dataclass
class Hit:
    translation: ArticleTranslation
    score: float
    snippet_html: str  # sanitised, matched words in <mark>


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)


# --- Indexing ------------------------------------------------------------------------------------


def _is_indexable(translation: ArticleTranslation) -> bool:
    return (
        translation.status == ArticleTranslation.Status.PUBLISHED
        and translation.article.kind in INDEXED_KINDS
    )


PostingRow = tuple[int, str, str, str, int]  # document, locale, term, field, frequency


def build_rows(translation: ArticleTranslation) -> tuple[SearchDocument, list[PostingRow]]:
    """The index rows of one translation: an unsaved document and its postings as tuples."""
    article = translation.article
    title_terms = Counter(textanalysis.analyze(translation.title))
    body_terms = Counter(textanalysis.analyze(plain_text(translation.body)))
    document = SearchDocument(
        translation_id=translation.pk,
        article_id=article.pk,
        locale=translation.locale,
        visibility=article.visibility,
        category_id=article.section.category_id if article.section_id else None,
        publish_at=translation.publish_at,
        unpublish_at=translation.unpublish_at,
        title_length=sum(title_terms.values()),
        body_length=sum(body_terms.values()),
    )
    postings = [
        (translation.pk, translation.locale, term, field_code, frequency)
        for field_code, terms in (("t", title_terms), ("b", body_terms))
        for term, frequency in terms.items()
    ]
    return document, postings


def _insert_postings(rows: list[PostingRow]) -> None:
    """Plain multi-row INSERTs: building a model instance per posting was most of the cost."""
    table = connection.ops.quote_name(SearchPosting._meta.db_table)
    sql = f"INSERT INTO {table} (document_id, locale, term, field, frequency) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(sql + values, [value for row in chunk for value in row])


_deferred = threading.local()


@contextmanager
def indexing_deferred() -> Iterator[set[int]]:
    """Collects the translations to (re)index instead of indexing each one as it is saved.

    For large imports: the caller indexes the collected ids at the end with reindex_ids().
    """
    pending: set[int] = set()
    _deferred.pending = pending
    try:
        yield pending
    finally:
        _deferred.pending = None


@transaction.atomic
def index_translation(translation: ArticleTranslation) -> None:
    """(Re)indexes one translation; a translation that is not published leaves the index."""
    pending = getattr(_deferred, "pending", None)
    if pending is not None:
        pending.add(translation.pk)
        return
    SearchPosting.objects.filter(document_id=translation.pk).delete()
    if not _is_indexable(translation):
        SearchDocument.objects.filter(pk=translation.pk).delete()
        return
    document, postings = build_rows(translation)
    document.save()
    _insert_postings(postings)


def unindex_article(article_id: int) -> None:
    SearchPosting.objects.filter(document__article_id=article_id).delete()
    SearchDocument.objects.filter(article_id=article_id).delete()


def indexable_translations() -> Iterator[ArticleTranslation]:
    return (
        ArticleTranslation.objects.filter(
            status=ArticleTranslation.Status.PUBLISHED, article__kind__in=INDEXED_KINDS
        )
        .select_related("article__section")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )


def bulk_index(
    translations: Iterable[ArticleTranslation], progress: Callable[[int], object] | None = None
) -> int:
    """Indexes translations not in the index yet, in batches; returns how many."""
    documents: list[SearchDocument] = []
    postings: list[PostingRow] = []
    count = 0

    def flush() -> None:
        SearchDocument.objects.bulk_create(documents, batch_size=BATCH_SIZE)
        _insert_postings(postings)
        documents.clear()
        postings.clear()

    for translation in translations:
        document, rows = build_rows(translation)
        documents.append(document)
        postings.extend(rows)
        count += 1
        if progress:
            progress(1)
        if len(postings) >= 50_000:
            flush()
    flush()
    return count


def reindex_ids(
    translation_ids: Iterable[int], progress: Callable[[int], object] | None = None
) -> int:
    """(Re)indexes the given translations in bulk; returns how many are in the index.

    Each batch commits on its own: one transaction over 100,000 articles grew SQLite's
    write-ahead log past 250 MB and slowed every insert. A batch is consistent by itself.
    """
    ids = sorted(set(translation_ids))
    count = 0
    if connection.vendor == "sqlite" and len(ids) > BATCH_SIZE:
        # Inserting millions of postings into the (locale, term, document) index touches pages
        # all over it; with SQLite's default cache it rereads them from disk for every batch.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-524288")  # 512 MiB, this connection only
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        with transaction.atomic():
            SearchPosting.objects.filter(document_id__in=chunk).delete()
            SearchDocument.objects.filter(pk__in=chunk).delete()
            # Only the primary keys go to SQL: with the status and kind filters too, SQLite's
            # planner walked every article by kind for each batch (142 s a batch at 100,000
            # articles, 0.3 s this way).
            translations = [
                translation
                for translation in ArticleTranslation.objects.filter(pk__in=chunk)
                .select_related("article__section")
                .order_by("pk")
                if _is_indexable(translation)
            ]
            count += bulk_index(translations)
        if progress:
            progress(len(chunk))
    return count


@transaction.atomic
def reindex_all(progress: Callable[[int], object] | None = None) -> int:
    """Rebuilds the whole index from the published translations."""
    SearchPosting.objects.all().delete()
    SearchDocument.objects.all().delete()
    return bulk_index(indexable_translations(), progress)


# --- Querying ------------------------------------------------------------------------------------


def _query_terms(query: str) -> Counter[str]:
    terms = Counter(textanalysis.analyze(query))
    return Counter(dict(terms.most_common(MAX_QUERY_TERMS)))


def _prefix_terms(query: str, locale: str) -> list[str]:
    """Indexed title terms starting with the last word being typed ("passw" -> "password")."""
    words = textanalysis.match_words(query)
    if not words or query[-1:].isspace():
        return []
    last = words[-1]
    if len(last) < 2 or not re.fullmatch(r"[^\W_]+", last) or len(last) > 32:
        return []
    candidates = SearchPosting.objects.filter(locale=locale, field="t", term__startswith=last)
    if connection.vendor == "sqlite":
        # The same rows; a range lets SQLite use the term index (its LIKE cannot, and a
        # range is not safe under PostgreSQL's language-aware collations).
        candidates = candidates.filter(term__gte=last, term__lt=last + "\U0010ffff")
    return list(candidates.values_list("term", flat=True).distinct().order_by("term")[:5])


def search(
    query: str,
    *,
    locale: str,
    user: object,
    category_id: int | None = None,
    offset: int = 0,
    limit: int = 10,
    prefix: bool = False,
) -> Results:
    """Published, visible translations in `locale` matching `query`, best first.

    Never raises on odd input: the query is cut to MAX_QUERY_LENGTH characters and searched as
    plain text (quotes, stars, colons and parentheses are not syntax).
    """
    query = (query or "")[:MAX_QUERY_LENGTH]
    terms = _query_terms(query)
    if prefix:
        for term in _prefix_terms(query, locale):
            terms.setdefault(term, 1)
    if not terms:
        return Results(query=query, total=0)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 100))

    stats = SearchDocument.objects.filter(locale=locale).aggregate(
        n=Count("pk"), title=Avg("title_length"), body=Avg("body_length")
    )
    total_docs = stats["n"] or 0
    if not total_docs:
        return Results(query=query, total=0)
    frequencies = dict(
        SearchPosting.objects.filter(locale=locale, term__in=list(terms))
        .values("term")
        .annotate(df=Count("document_id", distinct=True))
        .values_list("term", "df")
    )
    weights = {
        term: count * math.log(1 + (total_docs - df + 0.5) / (df + 0.5))
        for term, count in terms.items()
        if (df := frequencies.get(term))
    }
    if not weights:
        return Results(query=query, total=0)
    rows = _ranked_rows(
        weights,
        locale=locale,
        visibilities=[str(v) for v in visibilities_for(user)],
        category_id=category_id,
        avg_title=max(float(stats["title"] or 0), 1.0),
        avg_body=max(float(stats["body"] or 0), 1.0),
        offset=offset,
        limit=limit,
    )
    if not rows:
        total = _count_rows(weights, locale, visibilities_for(user), category_id) if offset else 0
        return Results(query=query, total=total)
    total = int(rows[0][2])
    translations = ArticleTranslation.objects.select_related("article__section").in_bulk(
        [row[0] for row in rows]
    )
    marker = _Marker(query)
    hits = [
        Hit(
            translation=translations[pk],
            score=float(score),
            snippet_html=marker.snippet(_plain_text(translations[pk].body)),
        )
        for pk, score, _total in rows
        # Belt and braces: the index follows every save, but never show a draft.
        if pk in translations and translations[pk].status == ArticleTranslation.Status.PUBLISHED
    ]
    return Results(query=query, total=total, hits=hits)


@lru_cache(maxsize=4096)
def _plain_text(body: str) -> str:
    """Rendering Markdown is most of a snippet's cost; popular articles come up again and again."""
    return plain_text(body)


def suggest(query: str, *, locale: str, user: object, limit: int = 5) -> list[ArticleTranslation]:
    """Titles to offer while the visitor types: the best matches, the last word as a prefix."""
    results = search(query, locale=locale, user=user, limit=limit, prefix=True)
    return [hit.translation for hit in results.hits]


def _filters(
    locale: str, visibilities: list[str], category_id: int | None
) -> tuple[str, list[object]]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    marks = ", ".join(["%s"] * len(visibilities))
    sql = (
        f" AND d.visibility IN ({marks})"
        " AND (d.publish_at IS NULL OR d.publish_at <= %s)"
        " AND (d.unpublish_at IS NULL OR d.unpublish_at > %s)"
    )
    params: list[object] = [*visibilities, now, now]
    if category_id is not None:
        sql += " AND d.category_id = %s"
        params.append(int(category_id))
    return sql, params


def _tables() -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(SearchPosting._meta.db_table), quote(SearchDocument._meta.db_table)


def _ranked_rows(
    weights: dict[str, float],
    *,
    locale: str,
    visibilities: list[str],
    category_id: int | None,
    avg_title: float,
    avg_body: float,
    offset: int,
    limit: int,
) -> list[tuple[int, float, int]]:
    postings, documents = _tables()
    terms = sorted(weights)
    idf_case = " ".join("WHEN %s THEN CAST(%s AS DOUBLE PRECISION)" for _ in terms)
    idf_params: list[object] = [value for term in terms for value in (term, weights[term])]
    filter_sql, filter_params = _filters(locale, visibilities, category_id)
    term_marks = ", ".join(["%s"] * len(terms))
    # BM25 per field, summed; the title field is boosted. All arithmetic in floating point.
    # Only placeholders and our own table names are formatted in; every value is a parameter.
    # Scores are rounded before ordering so that the last bits of a floating-point sum (which
    # differ with summation order) cannot reorder results between SQLite and PostgreSQL.
    sql = f"""
        SELECT translation_id, score, COUNT(*) OVER () AS total FROM (
            SELECT d.translation_id AS translation_id, SUM(
                (CASE p.term {idf_case} ELSE 0 END)
                * (CASE p.field WHEN 't' THEN CAST(%s AS DOUBLE PRECISION) ELSE 1.0 END)
                * (p.frequency * CAST(%s AS DOUBLE PRECISION))
                / (p.frequency + CAST(%s AS DOUBLE PRECISION) * (
                    CAST(%s AS DOUBLE PRECISION) + CAST(%s AS DOUBLE PRECISION) * (
                        CASE p.field
                            WHEN 't' THEN d.title_length / CAST(%s AS DOUBLE PRECISION)
                            ELSE d.body_length / CAST(%s AS DOUBLE PRECISION)
                        END)))
            ) AS score
            FROM {postings} p JOIN {documents} d ON d.translation_id = p.document_id
            WHERE p.locale = %s AND p.term IN ({term_marks}){filter_sql}
            GROUP BY d.translation_id
        ) ranked
        ORDER BY ROUND(CAST(score AS NUMERIC), 6) DESC, translation_id ASC
        LIMIT %s OFFSET %s
    """  # noqa: S608
    params = [
        *idf_params,
        TITLE_BOOST,
        K1 + 1,
        K1,
        1 - B,
        B,
        avg_title,
        avg_body,
        locale,
        *terms,
        *filter_params,
        limit,
        offset,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), float(score), int(total)) for pk, score, total in cursor.fetchall()]


def _count_rows(
    weights: dict[str, float], locale: str, visibilities: list[str], category_id: int | None
) -> int:
    postings, documents = _tables()
    terms = sorted(weights)
    filter_sql, filter_params = _filters(locale, [str(v) for v in visibilities], category_id)
    sql = f"""
        SELECT COUNT(DISTINCT d.translation_id)
        FROM {postings} p JOIN {documents} d ON d.translation_id = p.document_id
        WHERE p.locale = %s AND p.term IN ({", ".join(["%s"] * len(terms))}){filter_sql}
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [locale, *terms, *filter_params])
        return int(cursor.fetchone()[0])


# --- Snippets ------------------------------------------------------------------------------------


class _Marker:
    """Finds a query's words in a text and cuts a highlighted excerpt around the first one."""

    def __init__(self, query: str) -> None:
        self.stems: set[str] = set()
        self.pieces: set[str] = set()
        for match in textanalysis._RUNS.finditer(textanalysis.normalize(query)):
            run = match.group()
            if match.lastgroup == "word":
                if run not in textanalysis.STOP_WORDS:
                    self.stems.add(textanalysis.stem(run))
            elif len(run) == 1:
                self.pieces.add(run)
            else:
                self.pieces.update(run[i : i + 2] for i in range(len(run) - 1))

    def spans(self, text: str, start: int = 0, first_only: bool = False) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for match in textanalysis._RUNS.finditer(text, start):
            if first_only and found:
                break
            run, start = match.group(), match.start()
            normal = textanalysis.normalize(run)
            if match.lastgroup == "word":
                if len(normal) == len(run) and textanalysis.stem(normal) in self.stems:
                    found.append((start, match.end()))
            elif len(normal) == len(run):
                for piece in self.pieces:
                    for hit in re.finditer(re.escape(piece), normal):
                        found.append((start + hit.start(), start + hit.end()))
        found.sort()
        merged: list[tuple[int, int]] = []
        for begin, end in found:
            if merged and begin <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((begin, end))
        return merged

    def snippet(self, text: str) -> SafeString:
        first = self.spans(text, first_only=True)
        start = 0
        if first and first[0][0] > SNIPPET_LENGTH // 3:
            start = first[0][0] - SNIPPET_LENGTH // 3
            space = text.find(" ", start, first[0][0])
            start = space + 1 if space != -1 else start
        end = min(len(text), start + SNIPPET_LENGTH)
        if end < len(text):
            space = text.rfind(" ", start + SNIPPET_LENGTH // 2, end)
            end = space if space != -1 else end
        spans = self.spans(text[:end], start) if first else []
        parts: list[str] = ["…"] if start else []
        cursor = start
        for begin, finish in spans:
            if finish <= start or begin >= end:
                continue
            begin, finish = max(begin, start), min(finish, end)
            parts.append(escape(text[cursor:begin]))
            parts.append(f"<mark>{escape(text[begin:finish])}</mark>")
            cursor = finish
        parts.append(escape(text[cursor:end]))
        if end < len(text):
            parts.append("…")
        return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above
