"""Generates a large, realistic set of requests for load tests and benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from supportal.bench.generate import Plan, generate, has_other_tickets

LIMITS = {
    "tickets": (1, 10_000_000),
    "messages_per_ticket": (1, 50),
    "customers": (1, 5_000_000),
    "agents": (1, 100_000),
    "organizations": (0, 1_000_000),
    "groups": (0, 1_000),
}


class Command(BaseCommand):
    help = (
        "Adds generated customers, agents, groups and requests (with conversations, events, "
        "tags, custom field values and search terms) to the database, in bulk. Refuses a "
        "database that holds requests it did not generate, unless --force."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tickets", type=int, default=1_000)
        parser.add_argument(
            "--messages-per-ticket", type=int, default=5, help="on average (1 to 2n-1 each)"
        )
        parser.add_argument("--customers", type=int, default=500)
        parser.add_argument("--agents", type=int, default=20)
        parser.add_argument(
            "--organizations", type=int, default=0, help="default: one for every 50 customers"
        )
        parser.add_argument("--groups", type=int, default=8)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--force",
            action="store_true",
            help="add generated data even to a database with real requests",
        )
        parser.add_argument(
            "--fts-triggers",
            action="store_true",
            help="SQLite: keep the full-text triggers during the load instead of one rebuild",
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="maintain every index row by row instead of building them again at the end",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, (low, high) in LIMITS.items():
            if not low <= options[name] <= high:
                flag = "--" + name.replace("_", "-")
                raise CommandError(f"{flag} must be between {low} and {high}.")
        if not options["force"] and has_other_tickets():
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} holds requests that were not "
                "generated. Use a database of its own for generated data, or --force."
            )
        plan = Plan(**{name: options[name] for name in (*LIMITS, "seed")})
        quiet = options["verbosity"] < 1

        def progress(description: str, total: int) -> tqdm:
            return tqdm(
                total=total, desc=description, unit="request", disable=quiet, file=self.stderr
            )

        report = generate(
            plan,
            progress,
            fts_rebuild=not options["fts_triggers"],
            defer_indexes=not options["keep_indexes"],
        )
        if not quiet:
            rows = ", ".join(f"{table}: {count}" for table, count in report.rows.items())
            phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items())
            self.stdout.write(f"Generated {rows}.")
            self.stdout.write(f"Elapsed: {report.seconds:.1f} s ({phases}).")
