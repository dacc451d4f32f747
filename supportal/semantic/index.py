"""Reading vectors: each process keeps a kind's vectors in memory as one float32 matrix and
scores queries against it with numpy (exact search).

The matrix is a cache of the Embedding table, never a source: VectorSet.generation, which every
write replaces, says when it is out of date (one small query per search reads it); it is then
reloaded from the database on the next search. Only vectors of the configured model are
loaded; a row that does not decode is skipped and deleted, so the worker embeds it again.

Memory: 4 bytes per dimension per vector (1.5 KB a vector at 384 dimensions; 15 MB for 10,000
articles), per process that searches that kind. Exact search over 25,000 vectors (one language
of 100,000 articles) takes a few milliseconds (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from supportal.semantic import embedding, services, sources
from supportal.semantic.models import Embedding, VectorSet


@dataclass(frozen=True)
class Vectors:
    generation: str
    # int64: ascending, or, for a kind with groups, ascending within each group
    ids: np.ndarray
    matrix: np.ndarray  # float32, (len(ids), dim), unit rows
    # group -> (first row, row after the last): each group's rows are side by side
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)
    # with groups: the ids ascending, and the row of each of them
    ascending: np.ndarray | None = None
    order: np.ndarray | None = None

    def positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the given ids: (which of them have a vector, their rows in the matrix)."""
        if not len(self.ids):
            return np.zeros(len(ids), dtype=bool), np.zeros(0, dtype=np.int64)
        ascending = self.ids if self.ascending is None else self.ascending
        rows = np.searchsorted(ascending, ids)
        inside = rows < len(ascending)
        inside[inside] = ascending[rows[inside]] == ids[inside]
        rows = rows[inside]
        return inside, rows if self.order is None else self.order[rows]


EMPTY = Vectors("", np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))
_lock = threading.Lock()
_loaded: dict[tuple[str, str, str], Vectors] = {}


def clear() -> None:
    with _lock:
        _loaded.clear()


def generation(kind: str) -> str:
    found = VectorSet.objects.filter(kind=kind).values_list("generation", flat=True).first()
    return found or ""


def _load(kind: str, model: str, dim: int, token: str) -> Vectors:
    rows = (
        Embedding.objects.filter(kind=kind, model=model)
        .order_by("object_id")
        .values_list("object_id", "vector")
    )
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    corrupt: list[int] = []
    for pk, data in rows.iterator(chunk_size=5000):
        vector = embedding.from_bytes(data, dim)
        if vector is None:
            corrupt.append(pk)
            continue
        ids.append(pk)
        vectors.append(vector)
    services.forget_corrupt(kind, corrupt)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
    del vectors
    grouping = sources.get(kind).groups
    if grouping is None or not ids:
        return Vectors(token, np.array(ids, dtype=np.int64), matrix)
    # Each group's rows side by side (ids ascending within it), so a search inside a group
    # reads one slice of the matrix.
    of = grouping()
    labels = [of.get(pk, "") for pk in ids]
    names = sorted(set(labels))
    codes = np.array([names.index(label) for label in labels], dtype=np.int64)
    order = np.argsort(codes, kind="stable")  # ids were ascending: they stay so in a group
    counts = np.bincount(codes, minlength=len(names))
    ends = np.cumsum(counts)
    spans = {
        name: (int(end - count), int(end))
        for name, count, end in zip(names, counts, ends, strict=True)
        if name
    }
    ascending = np.array(ids, dtype=np.int64)
    return Vectors(
        token,
        ascending[order],
        matrix[order],
        groups=spans,
        ascending=ascending,
        order=np.argsort(order),
    )


def vectors(kind: str) -> Vectors:
    """The current vectors of `kind` (EMPTY without a model)."""
    found = embedding.backend()
    if found is None:
        return EMPTY
    token = generation(kind)
    key = (str(connection.settings_dict["NAME"]), kind, found.name)
    with _lock:
        cached = _loaded.get(key)
    if cached is not None and cached.generation == token:
        return cached
    fresh = _load(kind, found.name, found.dim, token)
    with _lock:
        _loaded[key] = fresh
    return fresh


def nearest(
    kind: str,
    query: np.ndarray,
    *,
    among: np.ndarray | None = None,
    limit: int = 10,
    found: Vectors | None = None,
) -> list[tuple[int, float]]:
    """The `limit` ids closest to `query` (cosine, best first; ties by id), among the given
    ids when `among` is set (the caller's permission and scope filter). `found`: the kind's
    vectors when the caller has read them already (one generation check per page)."""
    found = found if found is not None else vectors(kind)
    if not len(found.ids):
        return []
    if among is None:
        rows = np.arange(len(found.ids))
    else:
        _inside, rows = found.positions(np.asarray(among, dtype=np.int64))
    if not len(rows):
        return []
    scores = found.matrix[rows] @ query
    return top(found.ids[rows], scores, limit)


def top(ids: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The best `limit` (id, score), scores rounded to 6 decimals for ordering, ties by id (so
    SQLite and PostgreSQL, and every process, agree)."""
    rounded = np.round(scores.astype(np.float64), 6)
    if limit < len(rounded):
        floor = np.partition(rounded, len(rounded) - limit)[len(rounded) - limit]
        keep = rounded >= floor
        ids, rounded, scores = ids[keep], rounded[keep], scores[keep]
    order = np.lexsort((ids, -rounded))[:limit]
    return [(int(ids[i]), float(scores[i])) for i in order]
