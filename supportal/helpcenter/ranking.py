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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import connection
from django.utils import timezone

from supportal.core.sql import quoted_table
from supportal.helpcenter.models import SearchDocument, SearchPosting, Visibility

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
    codes = [_VISIBILITY_CODES[value] for value in visibilities if value in _VISIBILITY_CODES]
    visible = matched & np.isin(language.visibility, codes)
    if category_id is not None:
        visible &= language.category == int(category_id)
    if language.windows:
        now = timezone.now()
        for position, (start, end) in language.windows.items():
            if visible[position] and not (
                (start is None or start <= now) and (end is None or end > now)
            ):
                visible[position] = False
    found = np.flatnonzero(visible)
    total = len(found)
    if not total:
        return [], 0
    rounded = np.round(scores[found], 6)
    if wanted < total:
        # Everything tied with the wanted-th score stays in, so ids break the tie below.
        floor = np.partition(rounded, total - wanted)[total - wanted]
        keep = rounded >= floor
        found, rounded = found[keep], rounded[keep]
    order = np.lexsort((language.ids[found], -rounded))[:wanted]
    best = found[order]
    return [(int(language.ids[p]), float(scores[p])) for p in best], total
