from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError

from supportal.helpcenter import search


def ranked(query: str, locale: str, limit: int) -> list[dict[str, Any]]:
    """The ranking an anonymous visitor sees on the search page."""
    results = search.search(query, locale=locale, user=AnonymousUser(), limit=limit)
    return [
        {
            "id": hit.translation.article_id,
            "external_id": hit.translation.article.external_id,
            "title": hit.translation.title,
            "score": round(hit.score, 6),
        }
        for hit in results.hits
    ]


class Command(BaseCommand):
    help = "Searches the help center as an anonymous visitor and prints the ranked results."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("query", nargs="?", default="")
        parser.add_argument("--locale", default=settings.LANGUAGE_CODE)
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--queries", type=Path, help='a JSON Lines file of {"_id": ..., "text": ...}'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        locale, limit = options["locale"], max(1, min(options["limit"], 100))
        if locale not in settings.LANGUAGE_CODES:
            raise CommandError(f"Unknown locale {locale!r}.")
        if options["queries"]:
            self._batch(options["queries"], locale, limit)
            return
        results = ranked(options["query"], locale, limit)
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False))
            return
        for n, row in enumerate(results, start=1):
            self.stdout.write(f"{n:>3}. {row['score']:8.3f}  {row['title']}  (#{row['id']})")

    def _batch(self, path: Path, locale: str, limit: int) -> None:
        try:
            handle = path.open(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        bad = 0
        with handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text)
                    query_id, query = data["_id"], data["text"]
                    if not isinstance(query, str):
                        raise TypeError
                except (ValueError, KeyError, TypeError):
                    self.stderr.write(f'line {number}: expected {{"_id": ..., "text": "..."}}')
                    bad += 1
                    continue
                row = {"query_id": query_id, "results": ranked(query, locale, limit)}
                self.stdout.write(json.dumps(row, ensure_ascii=False))
        if bad:
            raise CommandError(f"{bad} line(s) could not be read.")
