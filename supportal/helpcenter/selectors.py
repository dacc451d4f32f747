"""Permission-aware reads of help-center content, in a fixed small number of queries.

Every function takes the viewer and the locale. A row is shown with its translation in the
locale or, when that is missing (or not live), in the default language; an article is visible
when its visibility is among visibilities_for(user) and that translation is live. Anything
else answers 404, even by URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from supportal.helpcenter import search
from supportal.helpcenter.models import (
    FAQ_LABEL,
    Article,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    Label,
    Section,
    SectionTranslation,
    Visibility,
    visibilities_for,
)

RELATED_LIMIT = 5


def _locales(locale: str) -> list[str]:
    return list(dict.fromkeys([locale, settings.LANGUAGE_CODE]))


def _pick(translations: Iterable[object], locale: str) -> object | None:
    """The translation in the locale, else in the default language, else None."""
    by_locale = {t.locale: t for t in translations}  # type: ignore[attr-defined]
    return by_locale.get(locale) or by_locale.get(settings.LANGUAGE_CODE)


def _live_translations(locale: str) -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.live(timezone.now()).filter(locale__in=_locales(locale))


def _article_translations_prefetch(locale: str) -> Prefetch:
    return Prefetch("translations", queryset=_live_translations(locale), to_attr="live")


def _names_prefetch(model: type, locale: str) -> Prefetch:
    return Prefetch(
        "translations", queryset=model.objects.filter(locale__in=_locales(locale)), to_attr="names"
    )


def _has_live_translation(locale: str) -> Exists:
    return Exists(_live_translations(locale).filter(article=OuterRef("pk")))


def visible_articles(user: object, locale: str) -> QuerySet[Article]:
    """Articles the viewer may read in this locale (with their fallback), translations prefetched.

    Call shown() on each result to attach `.translation` and `.is_fallback`.
    """
    return (
        Article.objects.filter(visibility__in=visibilities_for(user))
        .filter(_has_live_translation(locale))
        .prefetch_related(_article_translations_prefetch(locale))
    )


def public_articles(locale: str) -> QuerySet[Article]:
    return visible_articles(None, locale).filter(visibility=Visibility.EVERYONE)


def shown(articles: Iterable[Article], locale: str) -> list[Article]:
    """Attaches the translation to show; drops articles without one."""
    result = []
    for article in articles:
        translation = _pick(getattr(article, "live", []), locale)
        if translation is None:
            continue
        article.translation = translation  # type: ignore[attr-defined]
        article.is_fallback = translation.locale != locale  # type: ignore[attr-defined]
        result.append(article)
    return result


def _name(obj: Category | Section, locale: str) -> None:
    translation = _pick(getattr(obj, "names", []), locale)
    obj.name = translation.name if translation else ""  # type: ignore[attr-defined,union-attr]
    obj.description = translation.description if translation else ""  # type: ignore[attr-defined,union-attr]


@dataclass
class Tree:
    """Categories -> sections -> articles, only the non-empty ones."""

    categories: list[Category] = field(default_factory=list)

    @property
    def articles(self) -> list[Article]:
        return [
            article
            for category in self.categories
            for section in category.visible_sections  # type: ignore[attr-defined]
            for article in section.visible_articles
        ]


def tree(user: object, locale: str, *, category_id: int | None = None) -> Tree:
    """The browsable help center (six queries, however much content there is)."""
    articles = visible_articles(user, locale).filter(kind=Article.Kind.ARTICLE)
    sections = Section.objects.prefetch_related(
        _names_prefetch(SectionTranslation, locale),
        Prefetch("articles", queryset=articles, to_attr="candidates"),
    )
    categories = Category.objects.prefetch_related(
        _names_prefetch(CategoryTranslation, locale),
        Prefetch("sections", queryset=sections, to_attr="all_sections"),
    )
    if category_id is not None:
        categories = categories.filter(pk=category_id)
    result = Tree()
    for category in categories:
        _name(category, locale)
        category.visible_sections = []  # type: ignore[attr-defined]
        for section in category.all_sections:  # type: ignore[attr-defined]
            _name(section, locale)
            section.visible_articles = shown(section.candidates, locale)
            if section.visible_articles:
                category.visible_sections.append(section)  # type: ignore[attr-defined]
        if category.visible_sections:  # type: ignore[attr-defined]
            result.categories.append(category)
    return result


def category_for(user: object, locale: str, category_id: int) -> Category:
    found = tree(user, locale, category_id=category_id).categories
    if not found:
        raise Http404
    return found[0]


def section_for(user: object, locale: str, section_id: int) -> Section:
    section = (
        Section.objects.select_related("category")
        .prefetch_related(
            _names_prefetch(SectionTranslation, locale),
            Prefetch(
                "category__translations",
                queryset=CategoryTranslation.objects.filter(locale__in=_locales(locale)),
                to_attr="names",
            ),
            Prefetch(
                "articles",
                queryset=visible_articles(user, locale).filter(kind=Article.Kind.ARTICLE),
                to_attr="candidates",
            ),
        )
        .filter(pk=section_id)
        .first()
    )
    if section is None:
        raise Http404
    section.visible_articles = shown(section.candidates, locale)  # type: ignore[attr-defined]
    if not section.visible_articles:  # type: ignore[attr-defined]
        raise Http404
    _name(section, locale)
    _name(section.category, locale)
    return section


def article_for(user: object, locale: str, article_id: int) -> Article:
    """One readable article with its section, category and labels, or 404."""
    article = (
        visible_articles(user, locale)
        .select_related("section__category")
        .prefetch_related(
            Prefetch("labels", queryset=Label.objects.all()),
            Prefetch(
                "section__translations",
                queryset=SectionTranslation.objects.filter(locale__in=_locales(locale)),
                to_attr="names",
            ),
            Prefetch(
                "section__category__translations",
                queryset=CategoryTranslation.objects.filter(locale__in=_locales(locale)),
                to_attr="names",
            ),
        )
        .filter(pk=article_id)
        .first()
    )
    found = shown([article], locale) if article else []
    if not found:
        raise Http404
    if article.section is not None:  # type: ignore[union-attr]
        _name(article.section, locale)  # type: ignore[union-attr]
        _name(article.section.category, locale)  # type: ignore[union-attr]
    return found[0]


def related_articles(user: object, locale: str, article: Article) -> list[Article]:
    """Up to RELATED_LIMIT visible articles: the nearest in meaning (the shown translation's
    vector against the locale's visible documents), else, without a model or before the
    article has its vector, those from the same section or sharing a label."""
    shown_translation = getattr(article, "translation", None)
    nearest = (
        search.similar(shown_translation.pk, locale=locale, user=user, limit=RELATED_LIMIT * 2)
        if shown_translation is not None
        else None
    )
    if nearest is not None:
        order = {article_id: n for n, (_pk, article_id) in enumerate(nearest)}
        found = (
            visible_articles(user, locale)
            .filter(pk__in=list(order), kind=Article.Kind.ARTICLE)
            .exclude(pk=article.pk)
        )
        return sorted(shown(found, locale), key=lambda a: order[a.pk])[:RELATED_LIMIT]
    label_ids = [label.pk for label in article.labels.all()]
    condition = Q(labels__in=label_ids)
    if article.section_id is not None:
        condition |= Q(section_id=article.section_id)
    candidates = (
        visible_articles(user, locale)
        .filter(condition, kind=Article.Kind.ARTICLE)
        .exclude(pk=article.pk)
        .distinct()
        .order_by("section_id", "position", "id")[:RELATED_LIMIT]
    )
    return shown(candidates, locale)


def promoted_articles(articles: Iterable[Article]) -> list[Article]:
    return [article for article in articles if article.promoted]


def announcements(user: object, locale: str) -> QuerySet[Article]:
    """Newest first; pass the page's rows through shown()."""
    return (
        visible_articles(user, locale)
        .filter(kind=Article.Kind.ANNOUNCEMENT)
        .order_by("-created_at", "-id")
    )


def faq_articles(user: object, locale: str) -> list[Article]:
    return shown(
        visible_articles(user, locale).filter(labels__name=FAQ_LABEL).order_by("position", "id"),
        locale,
    )
