from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from supportal.semantic import embedding, services, sources


class Command(BaseCommand):
    help = (
        "Computes the semantic-search vectors: the missing ones, or with --rebuild every one "
        "(after changing SEMANTIC_MODEL, for instance)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="every vector anew")
        parser.add_argument("--kind", choices=sources.kinds(), help="only this kind of text")

    def handle(self, *args: Any, **options: Any) -> None:
        model = embedding.model_name()
        if model is None:
            raise CommandError(
                "No embedding model is available (SEMANTIC_MODEL); search stays lexical."
            )
        for kind in [options["kind"]] if options["kind"] else sources.kinds():
            total = len(list(sources.get(kind).current_ids()))
            if not options["rebuild"]:
                total = len(services.missing_ids(kind))
            with tqdm(
                total=total,
                unit="text",
                desc=kind,
                disable=options["verbosity"] < 1,
                file=self.stderr,
            ) as bar:
                if options["rebuild"]:
                    count = services.rebuild(kind, progress=bar.update)
                else:
                    count = services.embed_missing(kind, progress=bar.update)
            if options["verbosity"] >= 1:
                self.stdout.write(f"{kind}: {count} vectors computed with {model}.")
