"""Request pages at scale: server time and queries per page on a generated data set.

    python -m supportal.bench.tickets [--tickets 1000000] [--database sqlite|postgres|both]
                                              [--reuse] [--samples 50] [--explain]

The data sets live in var/bench-tickets.sqlite3 and in the PostgreSQL database
"supportal_bench" on 127.0.0.1:5432 (made, migrated and filled here; no other database is ever
touched). With --reuse an existing set of the same size is kept, otherwise it is made again
with `generate_data`. Each page is requested in-process through Django's test client, signed
in with force_login, and timed from request to response: the p50 and p95 of --samples requests
after a warm-up (3 samples when a page takes seconds), and the SQL queries of one request.
With --explain, the slowest query of every page slower than 100 ms is printed with its plan.
"""

from __future__ import annotations

import argparse
import gc
import html
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from supportal.bench import ROOT, out

SQLITE_PATH = ROOT / "var" / "bench-tickets.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "supportal_bench"  # never "supportal" or "supportal_test": those are someone's data
VIEWS = ("mine", "unassigned", "open", "pending", "solved", "breaching")
SORTED_VIEWS = (("open", "next_breach"),)  # a view with another sort than its own
DEEP_PAGES = 20
SLOW_MS = 100.0
SLOW_SAMPLE_SECONDS = 2.0
FEW_SAMPLES = 3
WORDS = ("refund", "mobile app", "invoice download", "비밀번호 변경", "パスワード", "发票")


def database_url(database: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    return f"{PG_SERVER}/{PG_NAME}"


# --- The data set ------------------------------------------------------------------------------


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = database_url(database)
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="supportal-bench-tickets-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportal.settings"
    os.environ["LOG_LEVEL"] = "WARNING"  # no request log lines among the figures
    os.environ.pop("REDIS_URL", None)  # the same cache and sessions on both databases
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS), nothing else
    # Pages name static files without the collected manifest: no collectstatic needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def recreate(database: str) -> None:
    """An empty bench database: the SQLite file removed, or the PostgreSQL one made again."""
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    assert PG_NAME == "supportal_bench"  # noqa: S101 - the one database this may drop
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")


def existing_tickets(database: str) -> int | None:
    """How many requests the bench database holds, None when it is missing or not only
    generated data."""
    if database == "sqlite" and not SQLITE_PATH.exists():
        return None
    from django.db import DatabaseError, connection

    from supportal.bench.generate import has_other_tickets
    from supportal.tickets.models import Ticket

    try:
        count = Ticket.objects.count()
        return None if has_other_tickets() else count
    except DatabaseError:
        connection.close()
        return None


def prepare(database: str, tickets: int, reuse: bool) -> None:
    from django.core.management import call_command

    if database == "postgres" and not postgres_reachable():
        raise SystemExit(f"PostgreSQL is not reachable at {PG_SERVER}.")
    found = existing_tickets(database) if reuse else None
    if found != tickets:
        from django.db import connection

        connection.close()
        recreate(database)
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if found == tickets:
        out(f"Reusing the {tickets:,} generated requests in {database_url(database)}.")
        return
    call_command(
        "generate_data",
        tickets=tickets,
        messages_per_ticket=5,
        customers=max(10, tickets // 10),
        agents=200,
        verbosity=1,
    )


def postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


# --- Measuring ---------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    p50: float
    p95: float
    queries: int
    note: str = ""


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


class Bench:
    def __init__(self, samples: int, explain: bool) -> None:
        from django.test import Client

        self.client = Client()
        self.samples = samples
        self.explain = explain
        self.results: list[Result] = []

    def sign_in(self, user: Any) -> None:
        self.client.logout()
        self.client.force_login(user)

    def get(self, url: str) -> Any:
        response = self.client.get(url)
        if response.status_code not in (200, 302):
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    def measure(self, label: str, urls: Callable[[int], str]) -> None:
        """Times `samples` GETs of urls(0), urls(1), ... after three unmeasured ones."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        try:
            slowest = 0.0
            for n in range(3):
                started = time.perf_counter()
                self.get(urls(n))
                slowest = max(slowest, time.perf_counter() - started)
            with CaptureQueriesContext(connection) as captured:
                self.get(urls(0))
            # Read now: the next request's request_started signal clears the query log.
            queries = list(captured.captured_queries)
            # Pages of seconds get a few samples, not fifty: the figure is clear enough.
            samples = self.samples if slowest < SLOW_SAMPLE_SECONDS else FEW_SAMPLES
            times = []
            for n in range(samples):
                url = urls(n)
                started = time.perf_counter()
                self.get(url)
                times.append(time.perf_counter() - started)
        except Exception as error:  # a page not built yet is a finding, not a crash
            self.results.append(Result(label, math.nan, math.nan, 0, f"{type(error).__name__}"))
            out(f"| {label} | - | - | - | {type(error).__name__}: {str(error)[:80]} |")
            return
        p50, p95 = percentiles(times)
        result = Result(label, p50, p95, len(queries))
        self.results.append(result)
        note = f"{samples} samples" if samples != self.samples else ""
        out(f"| {label} | {p50:.1f} | {p95:.1f} | {result.queries} | {note} |")
        if self.explain and p50 > SLOW_MS:
            explain_slowest(queries)

    def older_link(self, url: str) -> str | None:
        page = self.get(url).content.decode()
        for href in re.findall(r'href="([^"]*[?&](?:amp;)?after=[^"]*)"', page):
            return html.unescape(href)
        return None

    def deep(self, url: str) -> str | None:
        """The page DEEP_PAGES "older" links down from `url`, or None when the list ends."""
        for _ in range(DEEP_PAGES):
            found = self.older_link(url)
            if found is None:
                return None
            url = found
        return url


def explain_slowest(queries: list[dict[str, str]]) -> None:
    from django.db import connection

    slowest = max(queries, key=lambda q: float(q.get("time") or 0))
    prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + slowest["sql"])  # the query Django just ran, values inlined
        plan = "\n".join("    " + " ".join(str(v) for v in row) for row in cursor.fetchall())
    out(f"\n    slowest query ({slowest['time']} s): {slowest['sql'][:600]}\n{plan}\n")


# --- The pages ---------------------------------------------------------------------------------


def people() -> dict[str, Any]:
    """Who looks: a generated admin, the agent with the most open requests assigned (in one or
    two groups), and the customer with the most requests."""
    from django.db.models import Count

    from supportal.accounts.models import User
    from supportal.bench.generate import generated_users
    from supportal.tickets.models import Ticket

    admin = generated_users().filter(role="admin").order_by("pk").first()
    busiest = (
        Ticket.objects.filter(is_open=True, assignee__role="agent")
        .values("assignee")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    by_requester = Ticket.objects.values("requester").annotate(n=Count("id"))
    customer = by_requester.order_by("-n", "requester").first()
    rare = by_requester.order_by("n", "-requester").first()
    return {
        "admin": admin,
        "agent": User.objects.get(pk=busiest["assignee"]),
        "customer": User.objects.get(pk=customer["requester"]),
        "customer_tickets": customer["n"],
        "rare": User.objects.get(pk=rare["requester"]),
    }


def sample_numbers(user: Any, count: int, seed: int = 5) -> list[int]:
    """`count` request numbers spread over the whole data set that `user` may see."""
    from django.db.models import Max

    from supportal.tickets.models import Ticket

    rng = random.Random(seed)  # noqa: S311 - sampling, not secrets
    top = Ticket.objects.aggregate(top=Max("id"))["top"]
    visible = Ticket.objects.visible_to(user)
    numbers: list[int] = []
    while len(numbers) < count:
        number = rng.randint(1, top)
        if visible.filter(pk=number).exists():
            numbers.append(number)
    return numbers


def run_pages(bench: Bench, who: dict[str, Any]) -> None:
    from django.urls import reverse
    from django.utils import translation

    from supportal.tickets import search as ticket_search

    translation.activate("en")
    for word in WORDS:
        ticket_search.analyze(word)  # loads Kiwi (a second or more) before anything is timed
    gc.freeze()  # as supportal/wsgi.py does once the application is loaded
    for role in ("admin", "agent"):
        user = who[role]
        bench.sign_in(user)
        groups = ", ".join(user.ticket_groups.values_list("name", flat=True)) or "all"
        views = [(key, reverse("agent:view", args=[key])) for key in VIEWS]
        views += [
            (f"{key} by {sort}", reverse("agent:view", args=[key]) + f"?sort={sort}")
            for key, sort in SORTED_VIEWS
        ]
        for key, first in views:
            bench.measure(f"{role}: {key}, first page", lambda _n, url=first: url)
            deep = bench.deep(first)
            if deep:
                bench.measure(f"{role}: {key}, page {DEEP_PAGES + 1}", lambda _n, url=deep: url)
            else:
                out(f"| {role}: {key}, page {DEEP_PAGES + 1} | - | - | - | fewer pages |")
        numbers = sample_numbers(user, bench.samples + 3)
        bench.measure(
            f"{role}: request page",
            lambda n, numbers=numbers: reverse("agent:ticket", args=[numbers[n % len(numbers)]]),
        )
        search = reverse("agent:search")
        bench.measure(
            f"{role}: search, common words",
            lambda n, search=search: f"{search}?{urlencode({'q': WORDS[n % len(WORDS)]})}",
        )
        for what, person in (("busy", who["customer"]), ("rare", who["rare"])):
            url = f"{search}?{urlencode({'q': person.email})}"
            bench.measure(f"{role}: search, a {what} requester's email", lambda _n, url=url: url)
        out(f"|   ({role} {user.email}: groups {groups}) | | | | |")
    bench.sign_in(who["customer"])
    mine = reverse("tickets:mine")
    bench.measure("customer: my requests", lambda _n: mine)
    bench.measure("customer: my requests, open", lambda _n: f"{mine}?status=open")
    out(f"|   (customer with {who['customer_tickets']:,} requests) | | | | |")


def run_one(database: str, tickets: int, reuse: bool, samples: int, explain: bool) -> None:
    setup_django(database)
    started = time.perf_counter()
    prepare(database, tickets, reuse)
    out(f"Data set ready in {time.perf_counter() - started:.0f} s.")
    from django.db import connection

    from supportal.tickets.models import Message, Ticket

    out(
        f"\n{connection.vendor}, {Ticket.objects.count():,} requests, "
        f"{Message.objects.count():,} messages; {samples} requests a page\n"
    )
    out("| page | p50 ms | p95 ms | queries | notes |")
    out("|---|---:|---:|---:|---|")
    run_pages(Bench(samples, explain), people())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--reuse", action="store_true", help="keep a data set of the same size")
    parser.add_argument("--samples", type=int, default=50, help="timed requests a page")
    parser.add_argument("--explain", action="store_true", help="plans of slow pages' queries")
    args = parser.parse_args(argv)
    if args.database != "both":
        run_one(args.database, args.tickets, args.reuse, args.samples, args.explain)
        return
    # One process a database: Django's settings are made once per process.
    for database in ("sqlite", "postgres"):
        command = [sys.executable, "-m", "supportal.bench.tickets", "--database", database]
        command += ["--tickets", str(args.tickets), "--samples", str(args.samples)]
        command += ["--reuse"] * args.reuse + ["--explain"] * args.explain
        subprocess.run(command, cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
