"""Help-center search: the index and the query side.

The index is four tables, written here and nowhere else: SearchDocument (one per published
translation, with what the filters need), SearchPosting (term frequency per term and field),
SearchTerm (per-term document frequencies) and SearchStats (per-language document count,
field lengths and a generation token). Every write keeps the four consistent in one
transaction and gives the languages it touched a new generation.

Ranking is BM25 with a title boost: the per-term weights (from SearchTerm's document
frequencies) and average field lengths (from SearchStats) are read per query, scores are
rounded to 6 decimals and ties broken by id. Visibility, language, category and the publish
window are applied at query time.

Queries are ranked in process (ranking.py): each process keeps a copy of the index tables it
has read as numpy arrays and scores them there, and drops a language's copy when that
language's generation token (SearchStats) changes, so a query ranks the same on SQLite and
PostgreSQL and in every process. The SQL statement that ranked before stays as the reference
path (search(..., reference=True)): tests and the benchmark compare both.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from supportal.core.sql import quoted_table
from supportal.helpcenter import ranking, vectors
from supportal.helpcenter.models import (
    Article,
    ArticleTranslation,
    SearchDocument,
    SearchPosting,
    SearchStats,
    SearchTerm,
    new_generation,
    visibilities_for,
)
from supportal.helpcenter.ranking import K1, TITLE_BOOST, B
from supportal.lib import textanalysis
from supportal.lib.markdown import plain_text
from supportal.semantic import embedding, index
from supportal.semantic import services as semantic_services

MAX_QUERY_LENGTH = 500
MAX_QUERY_TERMS = 64
# The query's meaning is read from its start: the model's cost grows with the length (a 500
# character query took 1.4 s on a busy core, a 200 character one 0.2 s).
MAX_EMBEDDED_QUERY = 200
SNIPPET_LENGTH = 220
BATCH_SIZE = 5000
INDEXED_KINDS = (Article.Kind.ARTICLE, Article.Kind.ANNOUNCEMENT)
# Totals are counted up to this many results; past it the page says "more than 1,000".
TOTAL_CAP = 1000


@dataclass
class Hit:
    translation: ArticleTranslation
    score: float
    snippet_html: str  # sanitised, matched words in <mark>


@dataclass
class Results:
    query: str
    total: int  # exact up to TOTAL_CAP; TOTAL_CAP + 1 means "more than TOTAL_CAP"
    hits: list[Hit] = field(default_factory=list)

    @property
    def more(self) -> bool:
        return self.total > TOTAL_CAP

    @property
    def shown_total(self) -> int:
        """How many results can be paged through."""
        return min(self.total, TOTAL_CAP)


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
    text = plain_text(translation.body)
    title_terms = Counter(textanalysis.analyze(translation.title))
    body_terms = Counter(textanalysis.analyze(text))
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
        text=text,
    )
    postings = [
        (translation.pk, translation.locale, term, field_code, frequency)
        for field_code, terms in (("t", title_terms), ("b", body_terms))
        for term, frequency in terms.items()
    ]
    return document, postings


def _insert_postings(rows: list[PostingRow]) -> None:
    """Plain multi-row INSERTs (COPY on PostgreSQL): building a model instance per posting was
    most of the cost, and binding parameters in Python most of the rest on PostgreSQL."""
    columns = "(document_id, locale, term, field, frequency)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(
                f"COPY {quoted_table(SearchPosting)} {columns} FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {quoted_table(SearchPosting)} {columns} VALUES "  # noqa: S608
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(sql + values, [value for row in chunk for value in row])


def _locked_stats(locales: Iterable[str]) -> dict[str, SearchStats]:
    """The statistics rows of these languages, locked until the transaction ends: writers of
    one language take turns, so counts stay consistent. Each gets a new generation token, so
    every process drops its in-memory copy of the language once this commits."""
    wanted = sorted(set(locales))
    SearchStats.objects.bulk_create(
        [SearchStats(locale=locale) for locale in wanted], ignore_conflicts=True
    )
    rows = SearchStats.objects.select_for_update().filter(locale__in=wanted).order_by("locale")
    found = {row.locale: row for row in rows}
    for row in found.values():
        row.generation = new_generation()
        row.save(update_fields=["generation"])
    return found


def _update_terms(rows: dict[tuple[str, str], list[int]]) -> None:
    """Adds to the per-term statistics: (locale, term) -> [documents, title documents]."""
    table = quoted_table(SearchTerm)
    sql = (
        f"INSERT INTO {table} (locale, term, documents, title_documents) "  # noqa: S608
        "VALUES {values} ON CONFLICT (locale, term) DO UPDATE SET "
        f"documents = {table}.documents + excluded.documents, "
        f"title_documents = {table}.title_documents + excluded.title_documents"
    )
    items = sorted(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params = [
                value
                for (locale, term), (documents, titles) in chunk
                for value in (locale, term, int(documents), int(titles))
            ]
            cursor.execute(sql.format(values=values), params)


def _remove(document_ids: list[int]) -> None:
    """Takes documents out of the index and out of its statistics."""
    if not document_ids:
        return
    postings, documents, terms = (
        quoted_table(SearchPosting),
        quoted_table(SearchDocument),
        quoted_table(SearchTerm),
    )
    marks = ", ".join(["%s"] * len(document_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT locale, COUNT(*), SUM(title_length), SUM(body_length) FROM {documents} "  # noqa: S608
            f"WHERE translation_id IN ({marks}) GROUP BY locale",
            document_ids,
        )
        lengths = cursor.fetchall()
        if not lengths:
            return
        stats = _locked_stats(row[0] for row in lengths)
        for locale, count, title, body in lengths:
            row = stats[locale]
            row.documents -= int(count)
            row.title_total -= int(title or 0)
            row.body_total -= int(body or 0)
            row.save(update_fields=["documents", "title_total", "body_total"])
        cursor.execute(
            f"SELECT locale, term, COUNT(DISTINCT document_id), "  # noqa: S608
            f"SUM(CASE WHEN field = 't' THEN 1 ELSE 0 END) FROM {postings} "
            f"WHERE document_id IN ({marks}) GROUP BY locale, term",
            document_ids,
        )
        counts = cursor.fetchall()
        cursor.executemany(
            f"UPDATE {terms} SET documents = documents - %s, "  # noqa: S608
            "title_documents = title_documents - %s WHERE locale = %s AND term = %s",
            [(int(df), int(titles), locale, term) for locale, term, df, titles in counts],
        )
        cursor.execute(f"DELETE FROM {terms} WHERE documents <= 0")  # noqa: S608
        cursor.execute(f"DELETE FROM {postings} WHERE document_id IN ({marks})", document_ids)  # noqa: S608
        cursor.execute(
            f"DELETE FROM {documents} WHERE translation_id IN ({marks})",  # noqa: S608
            document_ids,
        )
    semantic_services.embed_later(vectors.KIND, document_ids)


def _add(documents: list[SearchDocument], postings: list[PostingRow]) -> None:
    """Adds new documents (not in the index) with their postings and statistics."""
    if not documents:
        return
    stats = _locked_stats(document.locale for document in documents)
    for document in documents:
        row = stats[document.locale]
        row.documents += 1
        row.title_total += document.title_length
        row.body_total += document.body_length
    for row in stats.values():
        row.save(update_fields=["documents", "title_total", "body_total"])
    terms: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    seen: set[tuple[int, str]] = set()
    for document_id, locale, term, field_code, _frequency in postings:
        entry = terms[(locale, term)]
        if (document_id, term) not in seen:
            seen.add((document_id, term))
            entry[0] += 1
        if field_code == "t":
            entry[1] += 1
    SearchDocument.objects.bulk_create(documents, batch_size=BATCH_SIZE)
    _insert_postings(postings)
    _update_terms(terms)
    semantic_services.embed_later(vectors.KIND, [d.translation_id for d in documents])


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
    _locked_stats([translation.locale])  # first, so writers of a language take turns
    _remove([translation.pk])
    if _is_indexable(translation):
        document, postings = build_rows(translation)
        _add([document], postings)


@transaction.atomic
def section_moved(section_id: int, category_id: int) -> None:
    """A section's articles now sit in another category: their documents follow, and their
    languages get a new generation (the category filter reads them in every process)."""
    documents = SearchDocument.objects.filter(article__section_id=section_id)
    locales = set(documents.values_list("locale", flat=True).distinct())
    if not locales:
        return
    _locked_stats(locales)
    documents.update(category_id=category_id)


@transaction.atomic
def unindex_article(article_id: int) -> None:
    _remove(list(SearchDocument.objects.filter(article_id=article_id).values_list("pk", flat=True)))


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
        _add(documents, postings)
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
            _locked_stats(translation.locale for translation in translations)
            _remove(chunk)
            count += bulk_index(translations)
        if progress:
            progress(len(chunk))
    return count


@transaction.atomic
def reindex_all(progress: Callable[[int], object] | None = None) -> int:
    """Rebuilds the whole index (and its statistics) from the published translations."""
    SearchPosting.objects.all().delete()
    SearchDocument.objects.all().delete()
    SearchTerm.objects.all().delete()
    SearchStats.objects.all().delete()
    return bulk_index(indexable_translations(), progress)


# --- Querying ------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


def clean_query(text: str) -> str:
    """What a visitor typed, as it is searched, shown and logged: control characters become
    spaces (PostgreSQL refuses NUL in text), trimmed and cut to MAX_QUERY_LENGTH."""
    return _CONTROL.sub(" ", (text or "")[: MAX_QUERY_LENGTH * 2]).strip()[:MAX_QUERY_LENGTH]


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
    candidates = SearchTerm.objects.filter(
        locale=locale, term__startswith=last, title_documents__gt=0
    )
    if connection.vendor == "sqlite":
        # The same rows; a range lets SQLite use the term index (its LIKE cannot, and a
        # range is not safe under PostgreSQL's language-aware collations).
        candidates = candidates.filter(term__gte=last, term__lt=last + "\U0010ffff")
    return list(candidates.order_by("term").values_list("term", flat=True)[:5])


@dataclass
class _Plan:
    weights: dict[str, float]  # query term -> count x idf
    avg_title: float
    avg_body: float
    generation: str


def _plan(terms: Counter[str], locale: str) -> _Plan | None:
    """Term weights and average lengths from the index statistics (two small reads)."""
    # Plain SQL: these two reads run on every keystroke of the suggestion box.
    names = sorted(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT documents, title_total, body_total, generation "  # noqa: S608
            f"FROM {quoted_table(SearchStats)} WHERE locale = %s AND documents > 0",
            [locale],
        )
        stats = cursor.fetchone()
        if stats is None:
            return None
        cursor.execute(
            f"SELECT term, documents FROM {quoted_table(SearchTerm)} "  # noqa: S608
            f"WHERE locale = %s AND term IN ({', '.join(['%s'] * len(names))}) "
            "AND documents > 0",
            [locale, *names],
        )
        rows = cursor.fetchall()
    total_docs, title_total, body_total, generation = stats
    weights = {
        term: terms[term] * math.log(1 + (total_docs - df + 0.5) / (df + 0.5)) for term, df in rows
    }
    return _Plan(
        weights,
        avg_title=max(title_total / total_docs, 1.0),
        avg_body=max(body_total / total_docs, 1.0),
        generation=generation,
    )


def search(
    query: str,
    *,
    locale: str,
    user: object,
    category_id: int | None = None,
    offset: int = 0,
    limit: int = 10,
    prefix: bool = False,
    reference: bool = False,
    dense: bool = True,
) -> Results:
    """Published, visible translations in `locale` matching `query`, best first.

    Hybrid: the lexical ranking fused with the dense one (ranking.rank_hybrid: the nearest
    vectors among the same visible documents), so a query that shares no word with the answer
    still finds it. Without a model (SEMANTIC_MODEL "none", or one that failed to load), with
    no vectors yet, with dense=False and on the reference path, it is the lexical ranking
    alone. The SQL reference path stays lexical: it exists to check ranking.rank's arithmetic,
    and the databases have no vector search of their own.

    Never raises on odd input: the query is cut to MAX_QUERY_LENGTH characters and searched as
    plain text (quotes, stars, colons and parentheses are not syntax). The total is exact up
    to TOTAL_CAP (see Results): the lexical matches and the dense neighbours. reference=True
    ranks with the SQL statement instead of in process (tests and the benchmark compare the
    two).
    """
    query = (query or "")[:MAX_QUERY_LENGTH]
    terms = _query_terms(query)
    if prefix:
        for term in _prefix_terms(query, locale):
            terms.setdefault(term, 1)
    if not terms:
        return Results(query=query, total=0)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 100))
    # The query's vector is computed when the ranking asks for it, after the lexical side.
    vector = (
        embedding.query_vector_later(query[:MAX_EMBEDDED_QUERY])
        if dense and not reference
        else None
    )
    plan = _plan(terms, locale)
    if plan is None or not (plan.weights or vector is not None):
        return Results(query=query, total=0)
    scope = _Scope(locale, [str(v) for v in visibilities_for(user)], category_id)
    # Results go as far as the total is counted (the pages too).
    wanted = min(offset + limit, TOTAL_CAP)
    if reference:
        ranked = _ranked_rows(plan, scope, limit=max(wanted, 1))
        total = min(ranked[0][2], TOTAL_CAP + 1) if ranked else 0
        rows = [(pk, score) for pk, score, _total in ranked[:wanted]]
    else:
        arguments: dict[str, Any] = {
            "locale": locale,
            "generation": plan.generation,
            "weights": plan.weights,
            "averages": {"t": plan.avg_title, "b": plan.avg_body},
            "visibilities": scope.visibilities,
            "category_id": category_id,
            "wanted": wanted,
        }
        fused = None
        if vector is not None:
            fused = ranking.rank_hybrid(**arguments, query_vector=vector)
        if fused is None and not plan.weights:
            return Results(query=query, total=0)
        rows, count = fused if fused is not None else ranking.rank(**arguments)
        total = min(count, TOTAL_CAP + 1)
    rows = rows[offset:]
    if not rows:
        return Results(query=query, total=total)
    translations = ArticleTranslation.objects.select_related(
        "article__section", "search_doc"
    ).in_bulk([row[0] for row in rows])
    marker = _Marker(query)
    hits = [
        Hit(
            translation=translations[pk],
            score=float(score),
            snippet_html=marker.snippet(_snippet_text(translations[pk])),
        )
        for pk, score in rows
        # Belt and braces: the index follows every save, but never show a draft.
        if pk in translations and translations[pk].status == ArticleTranslation.Status.PUBLISHED
    ]
    return Results(query=query, total=total, hits=hits)


def _snippet_text(translation: ArticleTranslation) -> str:
    document = getattr(translation, "search_doc", None)
    return (
        document.text if document is not None and document.text else _plain_text(translation.body)
    )


@lru_cache(maxsize=4096)
def _plain_text(body: str) -> str:
    """For rows indexed before SearchDocument.text: rendering Markdown is a snippet's cost."""
    return plain_text(body)


def suggest(query: str, *, locale: str, user: object, limit: int = 5) -> list[ArticleTranslation]:
    """Titles to offer while the visitor types: the best matches, the last word as a prefix.

    The words first; the model only when they leave the list short (fewer than `limit`
    titles: the visitor's words are not the articles'), so a paraphrase is still suggested
    and a keystroke whose words already fill the list does not wait for the model (about
    15 ms a query on one core here, the whole budget of a suggestion: docs/benchmarks.md).
    The search page itself always ranks with both."""
    results = search(query, locale=locale, user=user, limit=limit, prefix=True, dense=False)
    if len(results.hits) < limit:
        results = search(query, locale=locale, user=user, limit=limit, prefix=True)
    return [hit.translation for hit in results.hits]


def similar(
    translation_id: int, *, locale: str, user: object, limit: int
) -> list[tuple[int, int]] | None:
    """(translation id, article id) of the visible documents in `locale` nearest to this
    translation's vector, best first; None without a model or without its vector."""
    if embedding.backend() is None:
        return None
    found = index.vectors(vectors.KIND)
    inside, rows = found.positions(np.array([translation_id], dtype=np.int64))
    if not inside.any():
        return None
    generation = (
        SearchStats.objects.filter(locale=locale, documents__gt=0)
        .values_list("generation", flat=True)
        .first()
    )
    if generation is None:
        return []
    ranked = ranking.nearest(
        locale=locale,
        generation=generation,
        visibilities=[str(v) for v in visibilities_for(user)],
        query_vector=found.matrix[rows[0]],
        wanted=limit,
        exclude=translation_id,
        found_vectors=found,
    )
    if ranked is None:
        return None
    ids = [pk for pk, _score in ranked]
    articles = dict(
        SearchDocument.objects.filter(pk__in=ids).values_list("translation_id", "article_id")
    )
    return [(pk, articles[pk]) for pk in ids if pk in articles]


@dataclass
class _Scope:
    """Who is searching where: the filters every scored document must pass."""

    locale: str
    visibilities: list[str]
    category_id: int | None

    def sql(self) -> tuple[str, list[object]]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        marks = ", ".join(["%s"] * len(self.visibilities))
        sql = (
            f" AND d.visibility IN ({marks})"
            " AND (d.publish_at IS NULL OR d.publish_at <= %s)"
            " AND (d.unpublish_at IS NULL OR d.unpublish_at > %s)"
        )
        params: list[object] = [*self.visibilities, now, now]
        if self.category_id is not None:
            sql += " AND d.category_id = %s"
            params.append(int(self.category_id))
        return sql, params


def _ranked_rows(
    plan: _Plan,
    scope: _Scope,
    *,
    limit: int,
) -> list[tuple[int, float, int]]:
    """(document, score, total) of the best `limit` visible matches: the reference ranking
    (ranking.py computes the same in process)."""
    postings, documents = quoted_table(SearchPosting), quoted_table(SearchDocument)
    terms = sorted(plan.weights)
    idf_case = " ".join("WHEN %s THEN CAST(%s AS DOUBLE PRECISION)" for _ in terms)
    idf_params: list[object] = [value for term in terms for value in (term, plan.weights[term])]
    filter_sql, filter_params = scope.sql()
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
        LIMIT %s
    """  # noqa: S608
    params = [
        *idf_params,
        TITLE_BOOST,
        K1 + 1,
        K1,
        1 - B,
        B,
        plan.avg_title,
        plan.avg_body,
        scope.locale,
        *terms,
        *filter_params,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), float(score), int(total)) for pk, score, total in cursor.fetchall()]


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
        # One pass finds every (overlapping) occurrence of every piece: a lookahead matches
        # at each position without consuming; longer pieces first.
        ordered = sorted(self.pieces, key=lambda piece: (-len(piece), piece))
        self.finder = (
            re.compile(f"(?=({'|'.join(re.escape(piece) for piece in ordered)}))")
            if ordered
            else None
        )

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
            elif self.finder is not None and len(normal) == len(run):
                for hit in self.finder.finditer(normal):
                    begin = start + hit.start()
                    found.append((begin, begin + len(hit.group(1))))
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
