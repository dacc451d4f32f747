"""Help-center ranking in process: BM25 over numpy arrays of the search index.

Each process keeps, per database and language, the document table as arrays (ids, field
lengths, visibility, category, scheduled windows) and the posting lists queries have asked for
(as positions in those arrays and term frequencies). It is a cache of the index tables, never
a source: SearchStats.generation, a random token every index write replaces and which
search._plan reads with the statistics on every query, says when the cached copy of a language
is out of date; it is then dropped and rebuilt from the database as queries need it. A query
after a publish pays the reload (the document table of its language and the lists it reads);
every other query scores a few arrays in memory and touches the database only for its
statistics and its hits.

The score is the reference SQL statement's (search._ranked_rows) in floating point, rounded
to 6 decimals for ordering and ties broken by id, so both paths rank alike, on SQLite and on
PostgreSQL alike. Posting lists are kept up to MAX_CACHED_POSTINGS entries per process (the
least recently used go first); at 6 bytes a posting the default is about 24 MB.

rank_hybrid() fuses that ranking with the dense one (semantic.index's article vectors,
aligned once to the language's document table): both sides read the same visibility mask
(_visible), so a dense neighbour is never a document the lexical side would have filtered out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import connection
from django.utils import timezone

from supportal.core.sql import quoted_table
from supportal.helpcenter.models import SearchDocument, SearchPosting, Visibility
from supportal.helpcenter.vectors import KIND
from supportal.semantic import index
from supportal.semantic.index import Vectors

TITLE_BOOST = 3.0  # tuned on faq-en: 1 -> 0.803, 2 -> 0.825, 3 -> 0.831 MRR@10
K1 = 1.2
B = 0.75
MAX_CACHED_POSTINGS = 4_000_000
_VISIBILITY_CODES = {str(value): code for code, value in enumerate(Visibility)}


@dataclass
class _Language:
    """One language's document table as arrays, and the posting lists read so far."""

    generation: str
    ids: np.ndarray  # translation ids, ascending (int64)
    title_length: np.ndarray  # float64
    body_length: np.ndarray  # float64
    visibility: np.ndarray  # int8 codes (_VISIBILITY_CODES)
    category: np.ndarray  # int64, -1 without one
    # position -> (publish_at, unpublish_at) of the few documents with a window
    windows: dict[int, tuple[datetime | None, datetime | None]]
    lists: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=OrderedDict
    )
    # (vector generation, which documents have a vector, their rows, the slice): see _aligned
    dense: tuple[str, np.ndarray, np.ndarray, slice] | None = None


_lock = threading.Lock()
_languages: dict[tuple[str, str], _Language] = {}
_cached_postings = 0


def clear() -> None:
    """Forgets everything cached (tests and benchmarks measuring a cold start)."""
    global _cached_postings
    with _lock:
        _languages.clear()
        _cached_postings = 0


def _load_language(locale: str, generation: str) -> _Language:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT translation_id, title_length, body_length, visibility, "  # noqa: S608
            "COALESCE(category_id, -1), "
            "CASE WHEN publish_at IS NULL AND unpublish_at IS NULL THEN 0 ELSE 1 END "
            f"FROM {quoted_table(SearchDocument)} WHERE locale = %s ORDER BY translation_id",
            [locale],
        )
        rows = cursor.fetchall()
    count = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    ids = np.fromiter(columns[0], dtype=np.int64, count=count)
    scheduled = [position for position, flag in enumerate(columns[5]) if flag]
    windows: dict[int, tuple[datetime | None, datetime | None]] = {}
    if scheduled:
        by_id = {
            pk: (start, end)
            for pk, start, end in SearchDocument.objects.filter(
                pk__in=[int(ids[position]) for position in scheduled]
            ).values_list("pk", "publish_at", "unpublish_at")
        }
        windows = {
            position: by_id[int(ids[position])]
            for position in scheduled
            if int(ids[position]) in by_id
        }
    return _Language(
        generation=generation,
        ids=ids,
        title_length=np.fromiter(columns[1], dtype=np.float64, count=count),
        body_length=np.fromiter(columns[2], dtype=np.float64, count=count),
        visibility=np.fromiter(
            (_VISIBILITY_CODES.get(value, -1) for value in columns[3]), dtype=np.int8, count=count
        ),
        category=np.fromiter(columns[4], dtype=np.int64, count=count),
        windows=windows,
    )


def _load_list(language: _Language, locale: str, term: str, field_code: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT document_id, frequency FROM {quoted_table(SearchPosting)} "  # noqa: S608
            "WHERE locale = %s AND term = %s AND field = %s",
            [locale, term, field_code],
        )
        rows = cursor.fetchall()
    if not rows:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64)
    documents = np.array(rows, dtype=np.int64)
    positions = np.searchsorted(language.ids, documents[:, 0])
    # A write between the statistics read and this one can add documents the table lacks:
    # they are left out of this query, and the next query sees the new generation.
    inside = positions < len(language.ids)
    inside[inside] = language.ids[positions[inside]] == documents[inside, 0]
    return positions[inside].astype(np.int32), documents[inside, 1].astype(np.float64)


def _language(locale: str, generation: str) -> _Language:
    global _cached_postings
    key = (str(connection.settings_dict["NAME"]), locale)
    with _lock:
        language = _languages.get(key)
        if language is not None and language.generation == generation:
            return language
        if language is not None:
            _cached_postings -= sum(len(p) for p, _f in language.lists.values())
            del _languages[key]
    language = _load_language(locale, generation)
    with _lock:
        _languages[key] = language
    return language


def _postings(language: _Language, locale: str, term: str, field_code: str) -> tuple:
    global _cached_postings
    with _lock:
        found = language.lists.get((term, field_code))
        if found is not None:
            language.lists.move_to_end((term, field_code))
            return found
    loaded = _load_list(language, locale, term, field_code)
    with _lock:
        if (term, field_code) not in language.lists:
            language.lists[(term, field_code)] = loaded
            _cached_postings += len(loaded[0])
        _evict()
    return loaded


def _evict() -> None:
    """Drops the least recently used lists (oldest language first) over the budget."""
    global _cached_postings
    for language in list(_languages.values()):
        while _cached_postings > MAX_CACHED_POSTINGS and language.lists:
            _key, (positions, _frequencies) = language.lists.popitem(last=False)
            _cached_postings -= len(positions)


def _lexical(
    language: _Language, locale: str, weights: dict[str, float], averages: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Every document's BM25 score (float64) and whether it matched any term."""
    size = len(language.ids)
    scores = np.zeros(size, dtype=np.float64)
    matched = np.zeros(size, dtype=bool)
    k1, b, boost = K1, B, TITLE_BOOST
    for term in sorted(weights):
        for field_code, lengths in (("t", language.title_length), ("b", language.body_length)):
            positions, frequencies = _postings(language, locale, term, field_code)
            if not len(positions):
                continue
            norm = (1 - b) + b * (lengths[positions] / averages[field_code])
            scale = weights[term] * (boost if field_code == "t" else 1.0)
            # One posting per document in a list, so a plain indexed add is exact.
            scores[positions] += scale * (frequencies * (k1 + 1)) / (frequencies + k1 * norm)
            matched[positions] = True
    return scores, matched


def _visible(language: _Language, visibilities: list[str], category_id: int | None) -> np.ndarray:
    """Which documents the searcher may see here: visibility, category, publish window. The
    one filter both sides of a hybrid ranking apply."""
    codes = [_VISIBILITY_CODES[value] for value in visibilities if value in _VISIBILITY_CODES]
    visible = np.isin(language.visibility, codes)
    if category_id is not None:
        visible &= language.category == int(category_id)
    if language.windows:
        now = timezone.now()
        for position, (start, end) in language.windows.items():
            if visible[position] and not (
                (start is None or start <= now) and (end is None or end > now)
            ):
                visible[position] = False
    return visible


def _best(
    language: _Language, found: np.ndarray, scores: np.ndarray, wanted: int
) -> list[tuple[int, float]]:
    """The best `wanted` of the positions `found`: scores rounded to 6 decimals, ties by id."""
    return index.top(language.ids[found], scores[found], wanted)


def rank(
    *,
    locale: str,
    generation: str,
    weights: dict[str, float],
    averages: dict[str, float],
    visibilities: list[str],
    category_id: int | None,
    wanted: int,
) -> tuple[list[tuple[int, float]], int]:
    """The best `wanted` (translation id, score) of the visible matches and how many match.

    `weights` are the terms' query weights (count x idf), `averages` the average title and
    body lengths: as the SQL path uses them.
    """
    language = _language(locale, generation)
    scores, matched = _lexical(language, locale, weights, averages)
    found = np.flatnonzero(matched & _visible(language, visibilities, category_id))
    if not len(found):
        return [], 0
    return _best(language, found, scores, wanted), len(found)


# --- Hybrid: lexical and dense ----------------------------------------------------------------
#
# The fused score of a document is its BM25 score divided by the query's best BM25 score, plus
# DENSE_WEIGHT x its cosine to the query rescaled over the visible documents (the best is 1,
# the DENSE_DEPTH-th is 0, below it 0). The candidates, which the total counts, are the
# lexical matches and the dense neighbours: of the DENSE_DEPTH nearest visible documents,
# those within DENSE_MARGIN of the best cosine and at least DENSE_FLOOR. Every candidate has
# both scores, so paging through them is one ordering.
#
# Tuned on ../shared/eval only (MRR@10 faq-en / faq-ko; lexical alone 0.831 / 0.748, dense
# alone 0.844 / 0.759): weight 0.5 / 1 / 1.5 / 2 at depth 50: 0.893 / 0.905 / 0.908 / 0.904
# and 0.786 / 0.785 / 0.783 / 0.780; depth 10 / 20 / 50 / 100 at weight 1: 0.902 / 0.910 /
# 0.905 / 0.902 and 0.781 / 0.783 / 0.785 / 0.787; reciprocal-rank fusion at best 0.896 /
# 0.781 (k 5). The floor costs nothing there (0.84: faq-ko 0.7848 as without one) and keeps
# the plainly unrelated out (about 0.77: "weather tomorrow" against a password article). It
# cannot do more: E5's cosines are compressed, so the issue's own Korean paraphrase ("너무 많이
# 먹었어" for an article on overeating) scores 0.838 while unrelated demo requests reach
# 0.83 in English and 0.89 in Chinese (supportal/bench/deflection.py): a help center without
# the answer still offers its nearest articles.
DENSE_WEIGHT = 1.0
DENSE_DEPTH = 50
DENSE_MARGIN = 0.05
DENSE_FLOOR = 0.82
SMALL_SPREAD = 0.1


def _aligned(
    language: _Language, locale: str, found: Vectors
) -> tuple[np.ndarray, np.ndarray, slice]:
    """(which documents have a vector, for those their rows within the language's slice of
    the matrix, that slice), kept with the language until either side changes. The index
    keeps each language's vectors side by side (helpcenter/vectors.py groups them), so a
    query multiplies one slice in place: no copy of the vectors, no gathering per query."""
    cached = language.dense
    if cached is not None and cached[0] == found.generation:
        return cached[1], cached[2], cached[3]
    start, stop = found.groups.get(locale, (0, 0))
    inside, rows = found.positions(language.ids)
    within = (rows >= start) & (rows < stop)
    inside[inside] = within
    local = rows[within] - start
    language.dense = (found.generation, inside, local, slice(start, stop))
    return inside, local, slice(start, stop)


def _dense_scores(
    language: _Language,
    found: Vectors,
    inside: np.ndarray,
    local: np.ndarray,
    span: slice,
    query_vector: np.ndarray,
) -> np.ndarray:
    """Each document's cosine to the query (-1 without a vector)."""
    dense = np.full(len(language.ids), -1.0, dtype=np.float64)
    dense[inside] = (found.matrix[span] @ query_vector)[local]
    return dense


def rank_hybrid(
    *,
    locale: str,
    generation: str,
    weights: dict[str, float],
    averages: dict[str, float],
    visibilities: list[str],
    category_id: int | None,
    wanted: int,
    query_vector: Callable[[], np.ndarray | None],
) -> tuple[list[tuple[int, float]], int] | None:
    """As rank(), with the dense neighbours among the same visible documents fused in; None
    when this language has no vectors yet (the caller ranks lexically). The query's vector is
    asked for last, after the lexical ranking, and not at all without vectors."""
    found_vectors = index.vectors(KIND)
    language = _language(locale, generation)
    if not len(found_vectors.ids):
        return None
    inside, local, span = _aligned(language, locale, found_vectors)
    if not len(local):
        return None
    visible = _visible(language, visibilities, category_id)
    if weights:
        lexical, matched = _lexical(language, locale, weights, averages)
        matched &= visible
    else:
        lexical, matched = np.zeros(len(language.ids)), np.zeros(len(language.ids), dtype=bool)
    vector = query_vector()
    if vector is None:
        return None
    dense = _dense_scores(language, found_vectors, inside, local, span, vector)
    dense[~visible] = -1.0
    return fuse(language, lexical, matched, dense, visible & inside, wanted)


def fuse(
    language: _Language,
    lexical: np.ndarray,
    matched: np.ndarray,
    dense: np.ndarray,
    eligible: np.ndarray,
    wanted: int,
    *,
    weight: float | None = None,
    depth: int | None = None,
    margin: float | None = None,
    floor: float | None = None,
) -> tuple[list[tuple[int, float]], int]:
    """The fused ranking (see above) and how many candidates it has."""
    weight = DENSE_WEIGHT if weight is None else weight
    depth = DENSE_DEPTH if depth is None else depth
    margin = DENSE_MARGIN if margin is None else margin
    floor = DENSE_FLOOR if floor is None else floor
    positions = np.flatnonzero(eligible)
    candidates = matched.copy()
    if len(positions):
        cosines = dense[positions]
        deep = min(depth, len(positions))
        nearest = np.argpartition(-cosines, deep - 1)[:deep]
        best = float(cosines[nearest].max())
        low = float(cosines[nearest].min())
        close = cosines[nearest]
        near = positions[nearest[(close >= best - margin) & (close >= floor)]]
        candidates[near] = True
        if len(positions) < depth:
            # A small help center has fewer than `depth` documents: its least similar one
            # would count as 0 and a closer one as 1, however alike the two are (two export
            # articles at 0.88 and 0.86 outranked the exact title match). Spread them at
            # least as E5's cosines spread over 50 neighbours in the eval sets.
            low = min(low, best - SMALL_SPREAD)
        spread = max(best - low, 1e-6)
        dense_part = np.clip((dense - low) / spread, 0.0, None)
    else:
        dense_part = np.zeros(len(dense))
    top_lexical = float(lexical[matched].max()) if matched.any() else 0.0
    lexical_part = lexical / top_lexical if top_lexical > 0 else np.zeros(len(lexical))
    scores = lexical_part + weight * dense_part
    found = np.flatnonzero(candidates)
    if not len(found):
        return [], 0
    return _best(language, found, scores, wanted), len(found)


def nearest(
    *,
    locale: str,
    generation: str,
    visibilities: list[str],
    query_vector: np.ndarray,
    wanted: int,
    exclude: int | None = None,
    found_vectors: Vectors | None = None,
) -> list[tuple[int, float]] | None:
    """The `wanted` visible documents of `locale` closest to `query_vector` (cosine, best
    first), leaving out the translation `exclude`; None when the language has no vectors.
    `found_vectors`: the article vectors when the caller has read them already."""
    found_vectors = found_vectors if found_vectors is not None else index.vectors(KIND)
    if not len(found_vectors.ids):
        return None
    language = _language(locale, generation)
    inside, local, span = _aligned(language, locale, found_vectors)
    if not len(local):
        return None
    eligible = _visible(language, visibilities, None) & inside
    if exclude is not None:
        eligible &= language.ids != exclude
    dense = _dense_scores(language, found_vectors, inside, local, span, query_vector)
    positions = np.flatnonzero(eligible)
    if not len(positions):
        return []
    return _best(language, positions, dense, wanted)
