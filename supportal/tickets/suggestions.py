"""What the semantic index suggests to an agent on a request's page: help-center articles to
link in a reply, similar requests (solved ones first, with how they were solved) and possible
duplicates among the requester's or their organization's open requests.

Permission-aware reads in a fixed number of queries: the index gives the nearest ids, and one
query per panel keeps only those the agent may see (Ticket.objects.visible_to, the articles'
visibility and publish window). Without a model every panel is empty and `available` is False.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation

from supportal.accounts.models import Role, User
from supportal.helpcenter import vectors as article_vectors
from supportal.helpcenter.models import SearchDocument, visibilities_for
from supportal.semantic import embedding, index
from supportal.tickets import vectors as ticket_vectors
from supportal.tickets.models import SOLVED, Channel, Message, Ticket

ARTICLES = 5
SIMILAR = 5
DUPLICATES = 5
# Neighbours read from the index before the permission filter: enough that a few the agent
# may not see (or other translations of one article) still leave a full panel.
CANDIDATES = 50
# The open requests of one requester or organization compared for duplicates (most recent).
DUPLICATE_CANDIDATES = 1000
# Cosine (multilingual-e5-small, subject + first message) from which an open request of the
# same requester or organization is called a possible duplicate. Measured on hand-written
# pairs in four languages: restatements of one problem scored 0.919-0.96 (7 of 8 at 0.92 or
# more), different problems of one customer at most 0.90 (ko), 0.917 (en) and 0.93 (zh,
# whose scores run higher); on the generator's templated requests (bench/generate.py) the
# same topic has a median of 0.93 and different topics a median of 0.87-0.91. A false alarm
# costs a glance (the merge asks for confirmation); a missed duplicate, two agents on it.
DUPLICATE_THRESHOLD = 0.92
# Below these a request (0.85) or an article (0.84) had little to do with the request in the
# same examples: unrelated requests scored 0.78-0.84, unrelated articles 0.81-0.84.
SIMILAR_FLOOR = 0.85
ARTICLE_FLOOR = 0.84
SOLUTION_CHARS = 160


@dataclass
class SuggestedArticle:
    article_id: int
    title: str
    locale: str
    score: float
    url: str  # public, absolute, in the article's language
    shareable: bool  # the requester may open it (else no button to put it in a reply)


@dataclass
class SimilarRequest:
    ticket: Ticket
    score: float
    solution: str  # the first line of the last public agent reply, when there is one


@dataclass
class Suggestions:
    available: bool = False  # a model is configured and loaded
    articles: list[SuggestedArticle] = field(default_factory=list)
    similar: list[SimilarRequest] = field(default_factory=list)
    duplicates: list[tuple[Ticket, float]] = field(default_factory=list)


def enabled() -> bool:
    """Whether the page should offer suggestions at all (no model load: the setting only)."""
    return settings.SEMANTIC_MODEL not in ("", "none")


def request_vector(ticket: Ticket, stored: index.Vectors) -> np.ndarray | None:
    """The request's stored vector, else its subject and first message embedded now."""
    inside, rows = stored.positions(np.array([ticket.pk], dtype=np.int64))
    if inside[0]:
        return stored.matrix[rows[0]]
    first = Message.objects.filter(ticket=ticket).order_by("pk").values_list("body", flat=True)
    return embedding.query_vector(f"{ticket.subject}\n{first.first() or ''}")


def for_ticket(user: User, ticket: Ticket) -> Suggestions:
    """Everything the suggestions panels show for `ticket` to `user` (an agent)."""
    if embedding.backend() is None:
        return Suggestions()
    requests = index.vectors(ticket_vectors.KIND)
    vector = request_vector(ticket, requests)
    if vector is None:
        return Suggestions(available=True)
    return Suggestions(
        available=True,
        articles=articles(user, ticket, vector),
        similar=similar(user, ticket, vector, requests),
        duplicates=duplicates(user, ticket, vector, requests),
    )


def _first_line(text: str) -> str:
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= SOLUTION_CHARS else line[: SOLUTION_CHARS - 1].rstrip() + "…"


def _article_url(article_id: int, locale: str) -> str:
    with translation.override(locale):
        return settings.SITE_URL + reverse("helpcenter:article", args=[article_id])


def articles(user: User, ticket: Ticket, vector: np.ndarray) -> list[SuggestedArticle]:
    """Live articles the agent may read nearest to the request, one translation each: the
    requester's language when the article has it, else the default language, else the
    nearest; articles in the requester's language first."""
    found = index.nearest(article_vectors.KIND, vector, limit=CANDIDATES)
    found = [(pk, score) for pk, score in found if score >= ARTICLE_FLOOR]
    if not found:
        return []
    scores = dict(found)
    now = timezone.now()
    nearby = SearchDocument.objects.filter(translation_id__in=scores).values("article_id")
    rows = (
        SearchDocument.objects.filter(article_id__in=Subquery(nearby))
        .filter(visibility__in=visibilities_for(user))
        .filter(Q(publish_at__isnull=True) | Q(publish_at__lte=now))
        .filter(Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now))
        .values_list("translation_id", "article_id", "locale", "visibility", "translation__title")
    )
    wanted = ticket.requester.language
    by_article: dict[int, list[tuple[int, str, str, str]]] = {}
    for pk, article_id, locale, visibility, title in rows:
        by_article.setdefault(article_id, []).append((pk, locale, visibility, title))
    readable = visibilities_for(ticket.requester)

    def preference(row: tuple[int, str, str, str]) -> tuple[bool, bool, float]:
        pk, locale, _visibility, _title = row
        return (locale == wanted, locale == settings.LANGUAGE_CODE, scores.get(pk, 0.0))

    suggested = []
    for article_id, translations in by_article.items():
        best = max((scores[pk] for pk, *_rest in translations if pk in scores), default=None)
        if best is None:
            continue
        _pk, locale, visibility, title = max(translations, key=preference)
        suggested.append(
            SuggestedArticle(
                article_id=article_id,
                title=title,
                locale=locale,
                score=best,
                url=_article_url(article_id, locale),
                shareable=visibility in readable,
            )
        )
    suggested.sort(key=lambda item: (item.locale != wanted, -round(item.score, 6), item.article_id))
    return suggested[:ARTICLES]


def similar(
    user: User, ticket: Ticket, vector: np.ndarray, requests: index.Vectors
) -> list[SimilarRequest]:
    """The nearest other requests the agent may see; solved and closed ones first, each with
    the first line of its last public agent reply."""
    found = index.nearest(ticket_vectors.KIND, vector, limit=CANDIDATES + 1, found=requests)
    scores = {pk: score for pk, score in found if pk != ticket.pk and score >= SIMILAR_FLOOR}
    if not scores:
        return []
    answer = (
        Message.objects.filter(
            ticket=OuterRef("pk"), public=True, author__role__in=(Role.AGENT, Role.ADMIN)
        )
        .exclude(channel=Channel.SYSTEM)
        .order_by("-created_at", "-pk")
        .values("body")[:1]
    )
    rows = (
        Ticket.objects.visible_to(user)
        .filter(pk__in=list(scores), merged_into__isnull=True)
        .annotate(last_answer=Subquery(answer))
        .only("pk", "subject", "status", "solved_at", "updated_at")
    )
    items = [
        SimilarRequest(row, scores[row.pk], _first_line(row.last_answer or ""))  # type: ignore[attr-defined]
        for row in rows
    ]
    items.sort(
        key=lambda item: (item.ticket.status not in SOLVED, -round(item.score, 6), item.ticket.pk)
    )
    return items[:SIMILAR]


def duplicates(
    user: User, ticket: Ticket, vector: np.ndarray, requests: index.Vectors
) -> list[tuple[Ticket, float]]:
    """Open requests of the same requester or organization, visible to the agent, whose
    vector is within DUPLICATE_THRESHOLD of this one: candidates to merge into it."""
    if ticket.merged_into_id:
        return []
    same = Q(requester_id=ticket.requester_id)
    if ticket.organization_id:
        same |= Q(organization_id=ticket.organization_id)
    candidates = list(
        Ticket.objects.visible_to(user)
        .filter(same, is_open=True, merged_into__isnull=True)
        .exclude(pk=ticket.pk)
        .select_related("requester")
        .only("subject", "status", "created_at", "requester__name", "requester__email")
        .order_by("-pk")[:DUPLICATE_CANDIDATES]
    )
    if not candidates:
        return []
    by_pk = {row.pk: row for row in candidates}
    among = np.array(sorted(by_pk), dtype=np.int64)
    found = index.nearest(
        ticket_vectors.KIND, vector, among=among, limit=DUPLICATES, found=requests
    )
    return [(by_pk[pk], score) for pk, score in found if score >= DUPLICATE_THRESHOLD]
