"""Shared search-test content (no tests of its own): articles built through the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from supportal.helpcenter import services
from supportal.helpcenter.models import Article, Category, Section, Visibility

PUBLISHED = "published"


@contextmanager
def committed() -> Iterator[None]:
    """Runs the on-commit work (indexing) of the services inside a test transaction."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def make_section(
    names: dict[str, str] | None = None, section_names: dict[str, str] | None = None
) -> Section:
    with committed():
        category = services.category_create(names=names or {"en": "Accounts", "ko": "계정"})
        return services.section_create(
            category=category, names=section_names or {"en": "Signing in", "ko": "로그인"}
        )


def make_article(
    section: Section | None,
    title: str,
    body: str = "",
    *,
    locale: str = "en",
    status: str = PUBLISHED,
    visibility: str = Visibility.EVERYONE,
    kind: str = Article.Kind.ARTICLE,
    **window: object,
) -> Article:
    with committed():
        article = services.article_create(section=section, visibility=visibility, kind=kind)
        services.translation_save(
            article=article, locale=locale, title=title, body=body, status=status, **window
        )
    return article


def save(
    article: Article,
    title: str,
    body: str = "",
    *,
    locale: str = "en",
    status: str = PUBLISHED,
    **window: object,
) -> None:
    with committed():
        services.translation_save(
            article=article, locale=locale, title=title, body=body, status=status, **window
        )


def other_category() -> Category:
    with committed():
        return services.category_create(names={"en": "Billing", "ko": "결제"})


def hours(n: int) -> object:
    return timezone.now() + timedelta(hours=n)
