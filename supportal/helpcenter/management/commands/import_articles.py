from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from supportal.helpcenter import importexport


class Command(BaseCommand):
    help = (
        "Imports help-center articles from a JSON Lines file, one translation a line "
        "(docs/import-format.md), or a BEIR corpus with --beir."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--beir", type=Path, help="a BEIR folder holding corpus.jsonl")
        parser.add_argument("--locale", help="the language of the BEIR corpus")
        parser.add_argument("--category", default="Imported")
        parser.add_argument("--section", default="General")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["beir"]:
            locale = options["locale"]
            if locale not in settings.LANGUAGE_CODES:
                raise CommandError(
                    "--beir needs --locale, one of " + ", ".join(settings.LANGUAGE_CODES)
                )
            path = options["beir"] / "corpus.jsonl"
        elif options["file"]:
            path = options["file"]
        else:
            raise CommandError("Give a JSON Lines file, or --beir DIR --locale LOCALE.")
        try:
            total = sum(1 for _line in path.open(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        with (
            path.open(encoding="utf-8") as handle,
            tqdm(
                total=total, unit="line", disable=options["verbosity"] < 1, file=self.stderr
            ) as bar,
        ):
            lines = (
                importexport.beir_lines(path, locale, options["category"], options["section"])
                if options["beir"]
                else handle
            )
            report = importexport.import_lines(lines, progress=bar.update)
        for number, reason in report.errors:
            self.stderr.write(f"{path}:{number}: {reason}; line skipped")
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"{report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(report.errors)} skipped."
            )
        if report.errors:
            raise CommandError(f"{len(report.errors)} bad line(s) skipped.", returncode=1)
