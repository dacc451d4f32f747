"""Shared help-center content for the page, vote, SEO and notice tests (no tests of its own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from supportal.helpcenter import services
from supportal.helpcenter.models import Article, Category, Section, Visibility

PUBLISHED = "published"
BODY_WITH_TOC = """Intro paragraph for **everyone**.

## First step

Open the page.

## Second step

Fill in the form.

### A detail

Small print.
"""


@dataclass
class Content:
    category: Category
    section: Section
    other_section: Section
    public: Article
    english_only: Article
    signed_in: Article
    agents: Article
    draft: Article
    scheduled: Article
    expired: Article
    announcement: Article
    faq: Article


def publish(
    article: Article,
    title: str,
    *,
    locales: tuple[str, ...] = ("en", "ko"),
    body: str = "Some body text.",
    status: str = PUBLISHED,
    **window: object,
) -> None:
    for locale in locales:
        label = title if locale == "en" else f"{title} [{locale}]"
        services.translation_save(
            article=article, locale=locale, title=label, body=body, status=status, **window
        )


def build_content() -> Content:
    now = timezone.now()
    category = services.category_create(names={"en": "Accounts", "ko": "계정"}, position=1)
    section = services.section_create(
        category=category, names={"en": "Signing in", "ko": "로그인"}, position=1
    )
    other_section = services.section_create(
        category=category, names={"en": "Empty corner", "ko": "빈 곳"}, position=2
    )

    def article(external_id: str, **kwargs: object) -> Article:
        kwargs.setdefault("section", section)
        return services.article_create(external_id=external_id, **kwargs)

    content = Content(
        category=category,
        section=section,
        other_section=other_section,
        public=article("public", labels=["password"], promoted=True, position=1),
        english_only=article("english-only", labels=["password"], position=2),
        signed_in=article("signed-in", visibility=Visibility.SIGNED_IN, position=3),
        agents=article("agents", visibility=Visibility.AGENTS, position=4),
        draft=article("draft", position=5),
        scheduled=article("scheduled", position=6),
        expired=article("expired", position=7),
        announcement=article("news", section=None, kind=Article.Kind.ANNOUNCEMENT),
        faq=article("faq", labels=["faq"], position=8),
    )
    publish(content.public, "Reset your password", body=BODY_WITH_TOC)
    publish(content.english_only, "Change your language", locales=("en",))
    publish(content.signed_in, "Customers only guide")
    publish(content.agents, "Agents only playbook")
    publish(content.draft, "Draft article", status="draft")
    publish(content.scheduled, "Scheduled article", publish_at=now + timedelta(days=1))
    publish(content.expired, "Expired article", unpublish_at=now - timedelta(minutes=1))
    publish(content.announcement, "New opening hours")
    publish(content.faq, "How do I sign in?", body="Use your **email** & password <ok>.")
    return content
