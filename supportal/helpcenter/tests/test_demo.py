from __future__ import annotations

import pytest
from django.test import Client

from supportal.helpcenter.demo import load_demo_content
from supportal.helpcenter.models import (
    FAQ_LABEL,
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    Section,
)


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Category, Section, Article, ArticleTranslation, ArticleRevision)
    )


@pytest.mark.django_db
class DemoContentTests:
    def test_it_loads_a_browsable_help_center(self, client: Client) -> None:
        load_demo_content()
        assert 2 <= Category.objects.count() <= 3
        assert Article.objects.count() >= 10
        assert Article.objects.filter(labels__name=FAQ_LABEL).count() == 3
        assert Article.objects.filter(kind="announcement").count() == 1
        assert Article.objects.filter(visibility="agents").count() == 1
        assert Article.objects.filter(promoted=True).exists()
        english_only = [
            a
            for a in Article.objects.filter(visibility="everyone")
            if set(a.translations.values_list("locale", flat=True)) == {"en"}
        ]
        assert english_only
        assert ArticleTranslation.objects.filter(locale="ko").count() >= 8
        for lang in ["ko", "en", "ja", "zh-hans"]:
            assert client.get(f"/{lang}/help/").status_code == 200
            assert client.get(f"/{lang}/help/faq/").status_code == 200
        html = client.get(f"/ko/help/articles/{english_only[0].pk}/").content.decode()
        assert 'class="hc-note"' in html

    def test_it_is_idempotent(self) -> None:
        load_demo_content()
        first = counts()
        load_demo_content()
        assert counts() == first
