from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from supportal.helpcenter import search
from supportal.helpcenter.cache import bump_content_version
from supportal.helpcenter.models import Article, ArticleTranslation


class Command(BaseCommand):
    help = "Rebuilds the help-center search index from the published article translations."

    def handle(self, *args: Any, **options: Any) -> None:
        total = ArticleTranslation.objects.filter(
            status=ArticleTranslation.Status.PUBLISHED,
            article__kind__in=[Article.Kind.ARTICLE, Article.Kind.ANNOUNCEMENT],
        ).count()
        with tqdm(
            total=total, unit="doc", disable=options["verbosity"] < 1, file=self.stderr
        ) as bar:
            count = search.reindex_all(progress=bar.update)
        bump_content_version()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Indexed {count} translations.")
