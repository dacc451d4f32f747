from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from supportal.helpcenter import importexport
from supportal.helpcenter.models import ArticleTranslation


class Command(BaseCommand):
    help = "Exports every help-center article translation as JSON Lines (docs/import-format.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        total = ArticleTranslation.objects.count()
        try:
            handle = options["file"].open("w", encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {options['file']}: {error.strerror}") from None
        with (
            handle,
            tqdm(
                total=total, unit="line", disable=options["verbosity"] < 1, file=self.stderr
            ) as bar,
        ):
            count = importexport.write_export(handle, progress=bar.update)
        if options["verbosity"] >= 1:
            self.stdout.write(f"Exported {count} translations.")
