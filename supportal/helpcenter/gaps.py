"""Content gaps: what customers ask that the help center does not answer.

Recent help-center searches (SearchLog) and recent requests ("ticket" vectors) whose best
match among the articles customers can read is weak (cosine below WEAK), grouped greedily by
similarity. The worker computes them (tasks.refresh_content_gaps, every hour) and keeps the
result in the shared cache; the page only reads it and filters the example requests by what
the viewing agent may see.

Bounded work, in the worker: at most MAX_SEARCH_ROWS search rows read, MAX_QUERIES distinct
queries embedded (query vectors, cached per process; about 10 ms each the first time), at most
MAX_REQUESTS request vectors already stored, each scored against every customer-visible
article vector (one matrix product: (MAX_QUERIES + MAX_REQUESTS) x articles x 384), and
grouped against at most MAX_GROUPS leaders. On the page: one cache read and one query.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import caches
from django.db.models import Q
from django.utils import timezone

from supportal.helpcenter.models import SearchDocument, SearchLog, Visibility
from supportal.semantic import embedding, index

DAYS = 30
MAX_SEARCH_ROWS = 20_000
MAX_QUERIES = 300
MAX_REQUESTS = 500
# Below this cosine the best article does not answer (chosen on ../shared/eval: see
# docs/benchmarks.md, "Content gaps").
WEAK = 0.86
# An item joins a group whose first (most asked) item is at least this close.
SAME_TOPIC = 0.88
MAX_GROUPS = 100
EXAMPLES = 3
CACHE_KEY = "helpcenter:content-gaps"
CACHE_SECONDS = 3 * 3600


@dataclass
class Gap:
    """A group of weak matches: its searches (text, count) most asked first, its requests'
    numbers, and the best article score of its first item."""

    title: str
    best: float
    queries: list[tuple[str, int]] = field(default_factory=list)
    searches: int = 0
    requests: list[int] = field(default_factory=list)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


# What a person may type into a search box about themselves: an email address, a phone,
# order or card number. Masked before a query is kept for the page, so agents see the topic,
# not the person (the rest of a query is the public's words about the help center).
_PERSONAL = re.compile(r"[^\s@]+@[^\s@]+|\+?\d[\d\s().-]{4,}\d|\b[A-Za-z]*\d[A-Za-z\d-]{5,}\b")
MASK = "•••"


def redact(query: str) -> str:
    return _PERSONAL.sub(MASK, query)


def _queries(since: Any) -> list[tuple[str, int]]:
    rows = (
        SearchLog.objects.filter(created_at__gte=since, source=SearchLog.Source.PAGE)
        .order_by("-created_at")
        .values_list("query", flat=True)[:MAX_SEARCH_ROWS]
    )
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for query in rows:
        query = redact(query)
        key = _normal(query)
        if key:
            counts[key] += 1
            spellings.setdefault(key, Counter())[re.sub(r"\s+", " ", query).strip()] += 1
    # Each shown as it was typed most often.
    return [
        (spellings[key].most_common(1)[0][0], count)
        for key, count in counts.most_common(MAX_QUERIES)
    ]


def _article_matrix() -> np.ndarray | None:
    """The vectors of the articles customers can read now (not agents-only, published)."""
    now = timezone.now()
    public = SearchDocument.objects.filter(
        visibility__in=(Visibility.EVERYONE, Visibility.SIGNED_IN)
    ).filter(
        Q(publish_at__isnull=True) | Q(publish_at__lte=now),
        Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now),
    )
    found = index.vectors("article")
    ids = np.array(sorted(public.values_list("translation_id", flat=True)), dtype=np.int64)
    _present, rows = found.positions(ids)
    return found.matrix[rows] if len(rows) else None


def _requests(since: Any) -> tuple[list[int], np.ndarray]:
    from supportal.tickets.models import Ticket
    from supportal.tickets.vectors import KIND

    recent = Ticket.objects.filter(created_at__gte=since, merged_into__isnull=True)
    ids = np.array(
        sorted(recent.order_by("-pk").values_list("pk", flat=True)[:MAX_REQUESTS]), dtype=np.int64
    )
    found = index.vectors(KIND)
    present, rows = found.positions(ids)
    return [int(pk) for pk in ids[present]], found.matrix[rows]


def compute() -> list[Gap] | None:
    """The current gaps, most asked first; None without a model."""
    if embedding.backend() is None:
        return None
    since = timezone.now() - timedelta(days=DAYS)
    queries = _queries(since)
    vectors, kept = [], []
    for text, count in queries:
        vector = embedding.query_vector(text)
        if vector is not None:
            vectors.append(vector)
            kept.append((text, count))
    request_ids, request_matrix = _requests(since)
    items: list[tuple[str, Any, int]] = [("query", item, count) for item, count in kept]
    items += [("request", pk, 1) for pk in request_ids]
    if not items:
        return []
    matrix = np.vstack([*vectors, request_matrix]) if vectors else request_matrix
    articles = _article_matrix()
    best = (matrix @ articles.T).max(axis=1) if articles is not None else np.zeros(len(items))
    weak = [i for i in range(len(items)) if best[i] < WEAK]
    # Most asked first, so each group is led by its most common question.
    weak.sort(key=lambda i: (-items[i][2], items[i][0] != "query", i))
    gaps: list[Gap] = []
    leaders: list[np.ndarray] = []
    for i in weak:
        kind, item, count = items[i]
        target = None
        if leaders:
            scores = np.vstack(leaders) @ matrix[i]
            nearest = int(np.argmax(scores))
            if scores[nearest] >= SAME_TOPIC:
                target = gaps[nearest]
        if target is None:
            if len(gaps) >= MAX_GROUPS:
                continue
            title = item if kind == "query" else ""
            target = Gap(title=title, best=float(best[i]))
            gaps.append(target)
            leaders.append(matrix[i])
        if kind == "query":
            target.queries.append((item, count))
            target.searches += count
            target.title = target.title or item
        else:
            target.requests.append(item)
    return gaps


def refresh() -> list[Gap] | None:
    """Computes the gaps and keeps them for the page (the worker's job)."""
    gaps = compute()
    stored = {"at": timezone.now(), "gaps": gaps, "model": gaps is not None}
    caches[settings.SHARED_CACHE].set(CACHE_KEY, stored, CACHE_SECONDS)
    return gaps


def stored() -> dict[str, Any] | None:
    """What the worker computed last ({"at", "gaps", "model"}), or None."""
    return caches[settings.SHARED_CACHE].get(CACHE_KEY)


def forget() -> None:
    """Drops the computed gaps (a person's searches were erased): the page computes anew."""
    caches[settings.SHARED_CACHE].delete(CACHE_KEY)


@dataclass
class Row:
    """A gap as one agent sees it: only the requests they may see."""

    gap: Gap
    requests: list[tuple[int, str]]
    request_count: int

    @property
    def total(self) -> int:
        return self.gap.searches + self.request_count

    @property
    def title(self) -> str:
        return self.gap.title or (self.requests[0][1] if self.requests else "")


def rows_for(user: Any, gaps: list[Gap]) -> list[Row]:
    """The gaps with what `user` may see of them (one query), largest first; a group of
    requests the user may not see is left out."""
    from supportal.tickets.models import Ticket

    wanted = [pk for gap in gaps for pk in gap.requests]
    subjects = dict(
        Ticket.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", "subject")
        if wanted
        else []
    )
    found = []
    for gap in gaps:
        visible = [(pk, subjects[pk]) for pk in gap.requests if pk in subjects]
        if not gap.searches and not visible:
            continue
        found.append(Row(gap, visible[:EXAMPLES], len(visible)))
    found.sort(key=lambda row: -row.total)
    return found
