"""Requests as a kind of text for semantic search ("ticket": subject and first message), for
similar requests, possible duplicates and triage suggestions.

Only the most recent LIMIT requests that were not merged away have a vector: enough
neighbours for suggestions, and a bounded matrix in every process that searches them
(1.5 KB a request: about 75 MB at the limit).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from supportal.semantic import services as semantic_services
from supportal.semantic import sources
from supportal.tickets.models import Message, Ticket

KIND = "ticket"
LIMIT = 50_000


def _current_ids() -> list[int]:
    recent = Ticket.objects.filter(merged_into__isnull=True).order_by("-pk")[:LIMIT]
    return sorted(recent.values_list("pk", flat=True))


def _texts(ids: list[int]) -> dict[int, str]:
    # No check of LIMIT here (it was an OFFSET 50,000 read per embedding): a vector outside
    # the newest LIMIT is dropped by the worker's embed_missing pass (semantic/services.py).
    first = Message.objects.filter(ticket=OuterRef("pk")).order_by("pk").values("body")[:1]
    rows = (
        Ticket.objects.filter(pk__in=ids, merged_into__isnull=True)
        .annotate(first_body=Subquery(first))
        .values_list("pk", "subject", "first_body")
    )
    return {pk: f"{subject}\n{body or ''}".strip() for pk, subject, body in rows}


def changed(ids: Iterable[int]) -> None:
    """After a request is made, renamed or merged away: its vector follows after the commit."""
    semantic_services.embed_later(KIND, ids)


def register() -> None:
    sources.register(sources.Source(kind=KIND, current_ids=_current_ids, texts=_texts))
