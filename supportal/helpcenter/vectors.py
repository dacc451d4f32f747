"""Help-center articles as a kind of text for semantic search ("article": one vector per
indexed translation, from its title and plain-text body)."""

from __future__ import annotations

from collections.abc import Iterator

from supportal.helpcenter.models import SearchDocument
from supportal.semantic import sources

KIND = "article"


def _current_ids() -> Iterator[int]:
    rows = SearchDocument.objects.order_by("translation_id").values_list(
        "translation_id", flat=True
    )
    yield from rows.iterator(chunk_size=5000)


def _texts(ids: list[int]) -> dict[int, str]:
    rows = SearchDocument.objects.filter(translation_id__in=ids).values_list(
        "translation_id", "translation__title", "text"
    )
    return {pk: f"{title}\n{text}".strip() for pk, title, text in rows}


def _languages() -> dict[int, str]:
    return dict(SearchDocument.objects.values_list("translation_id", "locale").iterator(5000))


def register() -> None:
    sources.register(
        sources.Source(kind=KIND, current_ids=_current_ids, texts=_texts, groups=_languages)
    )
