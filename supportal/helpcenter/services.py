"""Writes to help-center content. Views, commands, imports and tests all go through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from supportal.accounts.models import User
from supportal.helpcenter import search
from supportal.helpcenter.cache import bump_content_version
from supportal.helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    Label,
    Section,
    SectionTranslation,
    Visibility,
)


def _after_commit_refresh(translation_ids: list[int]) -> None:
    def refresh() -> None:
        for translation in ArticleTranslation.objects.filter(pk__in=translation_ids).select_related(
            "article__section"
        ):
            search.index_translation(translation)
        bump_content_version()

    transaction.on_commit(refresh)


@transaction.atomic
def category_create(*, names: dict[str, str], position: int = 0) -> Category:
    category = Category.objects.create(position=position)
    for locale, name in names.items():
        CategoryTranslation.objects.create(category=category, locale=locale, name=name)
    transaction.on_commit(bump_content_version)
    return category


@transaction.atomic
def section_create(*, category: Category, names: dict[str, str], position: int = 0) -> Section:
    section = Section.objects.create(category=category, position=position)
    for locale, name in names.items():
        SectionTranslation.objects.create(section=section, locale=locale, name=name)
    transaction.on_commit(bump_content_version)
    return section


@transaction.atomic
def article_create(
    *,
    section: Section | None,
    kind: str = Article.Kind.ARTICLE,
    visibility: str = Visibility.EVERYONE,
    external_id: str | None = None,
    labels: Iterable[str] = (),
    promoted: bool = False,
    position: int = 0,
    author: User | None = None,
) -> Article:
    article = Article.objects.create(
        section=section,
        kind=kind,
        visibility=visibility,
        external_id=external_id,
        promoted=promoted,
        position=position,
        author=author,
    )
    article_set_labels(article=article, labels=labels)
    return article


def article_set_labels(*, article: Article, labels: Iterable[str]) -> None:
    names = sorted({name.strip().lower() for name in labels if name.strip()})
    existing = {label.name: label for label in Label.objects.filter(name__in=names)}
    missing = [Label(name=name) for name in names if name not in existing]
    Label.objects.bulk_create(missing, ignore_conflicts=True)
    article.labels.set(Label.objects.filter(name__in=names))


@transaction.atomic
def article_update_settings(
    *,
    article: Article,
    section: Section | None,
    visibility: str,
    promoted: bool,
    position: int,
    labels: Iterable[str],
) -> None:
    article.section = section
    article.visibility = visibility
    article.promoted = promoted
    article.position = position
    article.save(update_fields=["section", "visibility", "promoted", "position"])
    article_set_labels(article=article, labels=labels)
    _after_commit_refresh(list(article.translations.values_list("pk", flat=True)))


@transaction.atomic
def translation_save(
    *,
    article: Article,
    locale: str,
    title: str,
    body: str,
    status: str,
    publish_at: datetime | None = None,
    unpublish_at: datetime | None = None,
    author: User | None = None,
) -> ArticleTranslation:
    """Creates or updates one translation; a changed title or body writes a revision."""
    translation = ArticleTranslation.objects.filter(article=article, locale=locale).first()
    now = timezone.now()
    if translation is None:
        translation = ArticleTranslation(article=article, locale=locale, created_at=now)
        changed = True
    else:
        changed = (translation.title, translation.body) != (title, body)
    translation.title = title
    translation.body = body
    translation.status = status
    translation.publish_at = publish_at
    translation.unpublish_at = unpublish_at
    if changed:
        translation.updated_at = now
    translation.save()
    if changed:
        ArticleRevision.objects.create(
            translation=translation, title=title, body=body, author=author, created_at=now
        )
    _after_commit_refresh([translation.pk])
    return translation


@transaction.atomic
def revision_restore(*, revision: ArticleRevision, author: User | None) -> ArticleTranslation:
    translation = revision.translation
    return translation_save(
        article=translation.article,
        locale=translation.locale,
        title=revision.title,
        body=revision.body,
        status=translation.status,
        publish_at=translation.publish_at,
        unpublish_at=translation.unpublish_at,
        author=author,
    )
