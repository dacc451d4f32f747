"""Help-center search: the index and the query side.

The index is four tables, written here and nowhere else: SearchDocument (one per published
translation, with what the filters need), SearchPosting (term frequency per term and field,
plus an impact), SearchTerm (per-term document frequency and impact bounds) and SearchStats
(per-language document count, field lengths and the reference lengths of the impacts). Every
write keeps the four consistent in one transaction.

Ranking is BM25 with a title boost, computed in SQL the same way on SQLite and PostgreSQL: the
per-term weights (from SearchTerm's document frequencies) and average field lengths (from
SearchStats) are passed in as numbers, and ties are broken by id, so a query ranks identically
on both. Visibility, language, category and the publish window are applied at query time.

Only the documents that can reach the first results are scored (MaxScore-style pruning): a
posting's impact is its BM25 weight without idf against a reference field length, so
weight x impact x drift bounds its share of a score. A sample of the best postings gives a
score the k-th result must reach; each term's postings below the impact that could still
reach it are left out; the rest are scored exactly, by the same statement as the exhaustive
path. When the bounds prove nothing, the exhaustive path runs. See var/docs/search.md.
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

from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from supportal.helpcenter.models import (
    Article,
    ArticleTranslation,
    SearchDocument,
    SearchPosting,
    SearchStats,
    SearchTerm,
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
# Totals are counted up to this many results; past it the page says "more than 1,000".
TOTAL_CAP = 1000
# Pruning: up to this many results (offset + limit) ...
PRUNE_MAX_K = 200
# ... from a sample of this many best postings per list (times k, at least the minimum) ...
SAMPLE_PER_RESULT = 8
SAMPLE_MIN = 64
SAMPLE_LISTS = 4
# ... and at most this many candidates to score; more, and the exhaustive path is as cheap.
MAX_CANDIDATES = 4000
# Candidates are narrowed list by list until this few are left (then scored exactly).
REFINED_ENOUGH = 64
# Below this many matching documents (summed over the query's terms) everything is scored:
# that is as fast, and a small help center always takes the one path.
PRUNE_MIN_DOCUMENTS = 2000
# The reference field length is reset (all impacts of the language recomputed) when the
# average drifts out of this factor: the bounds stay valid, only looser, in between.
REFERENCE_DRIFT = 1.25


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
    pruned: bool = False  # scored only the candidates the bounds left (for the benchmark)

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


def impact(field_code: str, frequency: int, length: int, reference: float) -> float:
    """BM25's term-frequency part, boosted, against a reference average length (no idf)."""
    boost = TITLE_BOOST if field_code == "t" else 1.0
    return boost * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length / reference))


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_postings(rows: list[tuple[int, str, str, str, int, float]]) -> None:
    """Plain multi-row INSERTs: building a model instance per posting was most of the cost."""
    sql = (
        f"INSERT INTO {_table(SearchPosting)} "  # noqa: S608
        "(document_id, locale, term, field, frequency, impact) VALUES "
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(sql + values, [value for row in chunk for value in row])


def _locked_stats(locales: Iterable[str]) -> dict[str, SearchStats]:
    """The statistics rows of these languages, locked until the transaction ends: writers of
    one language take turns, so counts and reference lengths stay consistent."""
    wanted = sorted(set(locales))
    SearchStats.objects.bulk_create(
        [SearchStats(locale=locale) for locale in wanted], ignore_conflicts=True
    )
    rows = SearchStats.objects.select_for_update().filter(locale__in=wanted).order_by("locale")
    return {row.locale: row for row in rows}


def _update_terms(rows: dict[tuple[str, str], list[float]]) -> None:
    """Adds to the per-term statistics: (locale, term) -> [documents, title documents,
    title impact, body impact]; counts are added, impact bounds only ever raised."""
    table = _table(SearchTerm)
    sql = (
        f"INSERT INTO {table} (locale, term, documents, title_documents, title_impact, "  # noqa: S608
        "body_impact) VALUES {values} ON CONFLICT (locale, term) DO UPDATE SET "
        f"documents = {table}.documents + excluded.documents, "
        f"title_documents = {table}.title_documents + excluded.title_documents, "
        f"title_impact = CASE WHEN excluded.title_impact > {table}.title_impact "
        f"THEN excluded.title_impact ELSE {table}.title_impact END, "
        f"body_impact = CASE WHEN excluded.body_impact > {table}.body_impact "
        f"THEN excluded.body_impact ELSE {table}.body_impact END"
    )
    items = sorted(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = [
                value
                for (locale, term), (documents, titles, title, body) in chunk
                for value in (locale, term, int(documents), int(titles), title, body)
            ]
            cursor.execute(sql.format(values=values), params)


def _remove(document_ids: list[int]) -> None:
    """Takes documents out of the index and out of its statistics."""
    if not document_ids:
        return
    postings, documents, terms = _table(SearchPosting), _table(SearchDocument), _table(SearchTerm)
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
        if not row.title_reference:
            row.title_reference = max(row.title_total / max(row.documents, 1), 1.0)
            row.body_reference = max(row.body_total / max(row.documents, 1), 1.0)
        row.save()
    by_id = {document.translation_id: document for document in documents}
    rows = []
    terms: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    seen: set[tuple[int, str]] = set()
    for document_id, locale, term, field_code, frequency in postings:
        document, row = by_id[document_id], stats[locale]
        if field_code == "t":
            value = impact("t", frequency, document.title_length, row.title_reference)
        else:
            value = impact("b", frequency, document.body_length, row.body_reference)
        rows.append((document_id, locale, term, field_code, frequency, value))
        entry = terms[(locale, term)]
        if (document_id, term) not in seen:
            seen.add((document_id, term))
            entry[0] += 1
        if field_code == "t":
            entry[1] += 1
            entry[2] = max(entry[2], value)
        else:
            entry[3] = max(entry[3], value)
    SearchDocument.objects.bulk_create(documents, batch_size=BATCH_SIZE)
    _insert_postings(rows)
    _update_terms(terms)
    for row in stats.values():
        _check_reference(row)


def _check_reference(row: SearchStats) -> None:
    """Recomputes a language's impacts when its average field lengths have drifted too far
    from the reference they were computed with (rare once a help center has some articles)."""
    if not row.documents:
        return
    title = max(row.title_total / row.documents, 1.0)
    body = max(row.body_total / row.documents, 1.0)
    drifted = any(
        not 1 / REFERENCE_DRIFT <= average / reference <= REFERENCE_DRIFT
        for average, reference in ((title, row.title_reference), (body, row.body_reference))
    )
    if drifted:
        rereference(row, title, body)


def rereference(row: SearchStats, title: float, body: float) -> None:
    """Sets a language's reference lengths and recomputes its impacts and impact bounds."""
    row.title_reference, row.body_reference = title, body
    row.save(update_fields=["title_reference", "body_reference"])
    postings, documents, terms = _table(SearchPosting), _table(SearchDocument), _table(SearchTerm)
    length = (
        f"(SELECT CASE {postings}.field WHEN 't' THEN d.title_length ELSE d.body_length END "  # noqa: S608
        f"FROM {documents} d WHERE d.translation_id = {postings}.document_id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {postings} SET impact = "  # noqa: S608
            f"(CASE field WHEN 't' THEN CAST(%s AS DOUBLE PRECISION) ELSE 1.0 END) "
            f"* frequency * CAST(%s AS DOUBLE PRECISION) / (frequency "
            f"+ CAST(%s AS DOUBLE PRECISION) * (CAST(%s AS DOUBLE PRECISION) "
            f"+ CAST(%s AS DOUBLE PRECISION) * {length} "
            f"/ (CASE field WHEN 't' THEN CAST(%s AS DOUBLE PRECISION) "
            f"ELSE CAST(%s AS DOUBLE PRECISION) END))) WHERE locale = %s",
            [TITLE_BOOST, K1 + 1, K1, 1 - B, B, title, body, row.locale],
        )
        bound = (
            f"COALESCE((SELECT MAX(p.impact) FROM {postings} p WHERE p.locale = {terms}.locale "  # noqa: S608
            f"AND p.term = {terms}.term AND p.field = %s), 0)"
        )
        cursor.execute(
            f"UPDATE {terms} SET title_impact = {bound}, body_impact = {bound} "  # noqa: S608
            "WHERE locale = %s",
            ["t", "b", row.locale],
        )


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
class _List:
    """The postings of one query term in one field, with what bounds their scores."""

    term: str
    field: str
    unit: float  # weight x drift: a posting adds at most unit x impact to a score
    top: float  # the highest impact in the list (an upper bound)

    @property
    def bound(self) -> float:
        return self.unit * self.top


@dataclass
class _Plan:
    weights: dict[str, float]
    lists: list[_List]
    documents: int  # the query terms' document frequencies, summed
    avg_title: float
    avg_body: float


def _plan(terms: Counter[str], locale: str) -> _Plan | None:
    """Term weights and list bounds from the index statistics (two small reads)."""
    # Plain SQL: these two reads run on every keystroke of the suggestion box.
    names = sorted(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT documents, title_total, body_total, title_reference, body_reference "  # noqa: S608
            f"FROM {_table(SearchStats)} WHERE locale = %s AND documents > 0",
            [locale],
        )
        stats = cursor.fetchone()
        if stats is None:
            return None
        cursor.execute(
            "SELECT term, documents, title_impact, body_impact "  # noqa: S608
            f"FROM {_table(SearchTerm)} WHERE locale = %s AND term IN "
            f"({', '.join(['%s'] * len(names))}) AND documents > 0 ORDER BY term",
            [locale, *names],
        )
        rows = cursor.fetchall()
    total_docs, title_total, body_total, title_reference, body_reference = stats
    avg_title = max(title_total / total_docs, 1.0)
    avg_body = max(body_total / total_docs, 1.0)
    # A posting's impact was computed against the reference length; with a longer average
    # now, its real share can be up to average / reference times larger (never more).
    drift = {
        "t": max(1.0, avg_title / title_reference) if title_reference else math.inf,
        "b": max(1.0, avg_body / body_reference) if body_reference else math.inf,
    }
    weights: dict[str, float] = {}
    lists: list[_List] = []
    documents = 0
    for term, df, title_impact, body_impact in rows:
        weight = terms[term] * math.log(1 + (total_docs - df + 0.5) / (df + 0.5))
        weights[term] = weight
        documents += df
        for field_code, top in (("t", title_impact), ("b", body_impact)):
            if top > 0:
                lists.append(_List(term, field_code, weight * drift[field_code], top))
    return _Plan(weights, lists, documents, avg_title=avg_title, avg_body=avg_body)


def search(
    query: str,
    *,
    locale: str,
    user: object,
    category_id: int | None = None,
    offset: int = 0,
    limit: int = 10,
    prefix: bool = False,
    prune: bool = True,
) -> Results:
    """Published, visible translations in `locale` matching `query`, best first.

    Never raises on odd input: the query is cut to MAX_QUERY_LENGTH characters and searched as
    plain text (quotes, stars, colons and parentheses are not syntax). The total is exact up
    to TOTAL_CAP (see Results). prune=False scores every match (the reference path).
    """
    query = (query or "")[:MAX_QUERY_LENGTH]
    terms = _query_terms(query)
    if prefix:
        for term in _prefix_terms(query, locale):
            terms.setdefault(term, 1)
    if not terms:
        return Results(query=query, total=0)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 100))
    plan = _plan(terms, locale)
    if plan is None or not plan.weights:
        return Results(query=query, total=0)
    scope = _Scope(locale, [str(v) for v in visibilities_for(user)], category_id)
    # Results go as far as the total is counted (the pages too).
    wanted = min(offset + limit, TOTAL_CAP)
    if offset >= wanted:
        return Results(query=query, total=_count_capped(plan, scope))
    rows = None
    if prune and wanted <= PRUNE_MAX_K and plan.documents >= PRUNE_MIN_DOCUMENTS:
        rows = _pruned_rows(plan, scope, wanted)
    pruned = rows is not None
    if rows is None:
        rows = _ranked_rows(plan, scope, limit=wanted)
        total = min(rows[0][2], TOTAL_CAP + 1) if rows else 0
    else:
        total = _count_capped(plan, scope)
    rows = rows[offset:]
    if not rows:
        return Results(query=query, total=total, pruned=pruned)
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
        for pk, score, _total in rows
        # Belt and braces: the index follows every save, but never show a draft.
        if pk in translations and translations[pk].status == ArticleTranslation.Status.PUBLISHED
    ]
    return Results(query=query, total=total, hits=hits, pruned=pruned)


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
    """Titles to offer while the visitor types: the best matches, the last word as a prefix."""
    results = search(query, locale=locale, user=user, limit=limit, prefix=True)
    return [hit.translation for hit in results.hits]


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


# Scores are compared after rounding to 6 decimals (see _ranked_rows): a document left out
# must score below the k-th by more than that, and more than floating-point noise.
_SLACK = 2e-6


def _pruned_rows(plan: _Plan, scope: _Scope, wanted: int) -> list[tuple[int, float, int]] | None:
    """The first `wanted` results, scoring only documents that can be among them; None when
    the bounds cannot prove it with few enough candidates (the caller scores everything).

    1. The best postings of the strongest lists, scored exactly: their `wanted`-th score is a
       floor the last result must reach.
    2. MaxScore: the weakest lists whose bounds together stay under the floor cannot lift a
       document to it on their own; the rest share what remains of the floor as per-list
       impact thresholds. A document below every threshold scores under the floor.
    3. The documents at or over a threshold (and the sample) are scored exactly.
    """
    strongest = sorted(plan.lists, key=lambda item: item.bound, reverse=True)[:SAMPLE_LISTS]
    per_list = max(SAMPLE_MIN, SAMPLE_PER_RESULT * wanted)
    sample = _best_documents(scope.locale, strongest, per_list)
    sample |= _best_together(scope.locale, plan, per_list)
    if len(sample) < wanted:
        return None  # few matches: the exhaustive path is cheap
    scored = _ranked_rows(plan, scope, limit=wanted, candidates=sample)
    if len(scored) < wanted:
        return None
    floor = scored[-1][1] * (1 - 1e-9) - _SLACK
    ascending = sorted(plan.lists, key=lambda item: item.bound)
    spent = 0.0
    essential = ascending
    for position, item in enumerate(ascending):
        if spent + item.bound > floor:
            essential = ascending[position:]
            break
        spent += item.bound
    else:
        essential = []
    remaining = floor - spent
    strength = sum(item.bound for item in essential)
    thresholds = [
        (item, item.top * remaining / strength if remaining > 0 else 0.0) for item in essential
    ]
    candidates = _documents_over(scope.locale, thresholds, MAX_CANDIDATES)
    if candidates is None:
        return None
    candidates = _refined(scope.locale, plan, candidates, floor)
    candidates.update(row[0] for row in scored)
    if len(candidates) == len(scored):
        return scored
    return _ranked_rows(plan, scope, limit=wanted, candidates=candidates)


def _refined(locale: str, plan: _Plan, candidates: set[int], floor: float) -> set[int]:
    """Drops candidates that cannot reach the floor, list by list (strongest first): what a
    candidate can score is what its postings read so far allow plus the bounds of the lists
    not read yet. Each step is one probe per remaining candidate, where exact scoring costs
    one per candidate and term."""
    table = _table(SearchPosting)
    lists = sorted(plan.lists, key=lambda item: item.bound, reverse=True)
    unread = sum(item.bound for item in lists)
    known: dict[int, float] = dict.fromkeys(candidates, 0.0)
    with connection.cursor() as cursor:
        for item in lists:
            if len(known) <= REFINED_ENOUGH:
                break
            unread -= item.bound
            ids = sorted(known)
            cursor.execute(
                f"SELECT document_id, impact FROM {table} "  # noqa: S608
                "WHERE locale = %s AND term = %s AND document_id IN "
                f"({', '.join(['%s'] * len(ids))}) AND field = %s",
                [locale, item.term, *ids, item.field],
            )
            for document_id, value in cursor.fetchall():
                known[document_id] += item.unit * value
            known = {
                document_id: value
                for document_id, value in known.items()
                if value + unread * (1 + 1e-9) + _SLACK >= floor
            }
    return set(known)


def _best_documents(locale: str, lists: list[_List], per_list: int) -> set[int]:
    """The documents of the highest-impact postings of each list (one statement)."""
    table = _table(SearchPosting)
    parts, params = [], []
    for n, item in enumerate(lists):
        parts.append(
            f"SELECT document_id FROM (SELECT document_id FROM {table} "  # noqa: S608
            "WHERE locale = %s AND term = %s AND field = %s "
            f"ORDER BY impact DESC, document_id LIMIT %s) s{n}"
        )
        params += [locale, item.term, item.field, per_list]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {int(row[0]) for row in cursor.fetchall()}


def _best_together(locale: str, plan: _Plan, most: int) -> set[int]:
    """The best title postings of the strongest term in documents that also have the second
    strongest: the strongest lists alone often start with documents lacking the other word."""
    titles = sorted(
        (item for item in plan.lists if item.field == "t"), key=lambda item: -item.bound
    )
    if len(titles) < 2:
        return set()
    table = _table(SearchPosting)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.document_id FROM {table} a JOIN {table} b "  # noqa: S608
            "ON b.locale = a.locale AND b.term = %s AND b.document_id = a.document_id "
            "WHERE a.locale = %s AND a.term = %s AND a.field = 't' "
            "ORDER BY a.impact DESC, a.document_id LIMIT %s",
            [titles[1].term, locale, titles[0].term, most],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def _documents_over(
    locale: str, thresholds: list[tuple[_List, float]], most: int
) -> set[int] | None:
    """The documents with a posting at or over its list's impact threshold; None when there
    are more than `most`."""
    wanted = [(item, threshold) for item, threshold in thresholds if threshold <= item.top]
    if not wanted:
        return set()
    table = _table(SearchPosting)
    parts, params = [], []
    for n, (item, threshold) in enumerate(wanted):
        parts.append(
            f"SELECT document_id FROM (SELECT document_id FROM {table} "  # noqa: S608
            "WHERE locale = %s AND term = %s AND field = %s "
            f"AND impact >= CAST(%s AS DOUBLE PRECISION) LIMIT %s) s{n}"
        )
        params += [locale, item.term, item.field, threshold, most + 1]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = {int(row[0]) for row in cursor.fetchall()}
    return found if len(found) <= most else None


def _ranked_rows(
    plan: _Plan,
    scope: _Scope,
    *,
    limit: int,
    candidates: Iterable[int] | None = None,
) -> list[tuple[int, float, int]]:
    """(document, score, total) of the best `limit` visible matches, among `candidates` only
    when given. The one scoring statement of both paths, so both rank alike."""
    postings, documents = _table(SearchPosting), _table(SearchDocument)
    terms = sorted(plan.weights)
    idf_case = " ".join("WHEN %s THEN CAST(%s AS DOUBLE PRECISION)" for _ in terms)
    idf_params: list[object] = [value for term in terms for value in (term, plan.weights[term])]
    filter_sql, filter_params = scope.sql()
    term_marks = ", ".join(["%s"] * len(terms))
    candidate_sql, candidate_params = "", []
    if candidates is not None:
        candidate_params = sorted(candidates)
        candidate_sql = f" AND p.document_id IN ({', '.join(['%s'] * len(candidate_params))})"
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
            WHERE p.locale = %s AND p.term IN ({term_marks}){candidate_sql}{filter_sql}
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
        *candidate_params,
        *filter_params,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), float(score), int(total)) for pk, score, total in cursor.fetchall()]


def _count_capped(plan: _Plan, scope: _Scope) -> int:
    """How many visible documents match, counted up to TOTAL_CAP + 1 (which means more).

    Term by term, most common first, each read stopping after enough rows (a document has at
    most two postings of a term, title and body, so 2 x (cap + 1) rows hold cap + 1 of them);
    only when no term reaches the cap are the terms' documents counted together.
    """
    postings, documents = _table(SearchPosting), _table(SearchDocument)
    filter_sql, filter_params = scope.sql()
    matching = (
        f"FROM {postings} p JOIN {documents} d ON d.translation_id = p.document_id "
        f"WHERE p.locale = %s AND p.term {{terms}}{filter_sql}"
    )
    ordered = sorted(plan.weights, key=lambda term: (plan.weights[term], term))
    count = 0
    with connection.cursor() as cursor:
        for term in ordered:
            cursor.execute(
                "SELECT COUNT(DISTINCT x.document_id) FROM "  # noqa: S608
                f"(SELECT p.document_id {matching.format(terms='= %s')} LIMIT %s) x",
                [scope.locale, term, *filter_params, 2 * (TOTAL_CAP + 1)],
            )
            count = int(cursor.fetchone()[0])
            if count > TOTAL_CAP:
                return TOTAL_CAP + 1
        if len(ordered) == 1:
            return count
        # No term alone matches more than the cap: their union is cheap to count exactly.
        marks = ", ".join(["%s"] * len(ordered))
        cursor.execute(
            f"SELECT COUNT(DISTINCT p.document_id) {matching.format(terms=f'IN ({marks})')}",
            [scope.locale, *ordered, *filter_params],
        )
        return min(int(cursor.fetchone()[0]), TOTAL_CAP + 1)


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
