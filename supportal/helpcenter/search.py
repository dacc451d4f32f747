"""Help-center search: the index and the query side. (Interface; the search work fills it in.)

The index is two tables, SearchDocument and SearchPosting, written here and nowhere else.
Ranking is BM25 with a title boost, computed in SQL the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supportal.helpcenter.models import ArticleTranslation, SearchDocument


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


def index_translation(translation: ArticleTranslation) -> None:
    """(Re)indexes one translation; a translation that is not published leaves the index."""
    SearchDocument.objects.filter(pk=translation.pk).delete()


def unindex_article(article_id: int) -> None:
    SearchDocument.objects.filter(article_id=article_id).delete()


def search(
    query: str,
    *,
    locale: str,
    user: object,
    category_id: int | None = None,
    offset: int = 0,
    limit: int = 10,
) -> Results:
    return Results(query=query, total=0)
