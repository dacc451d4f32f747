"""The load test's data (bench/load.py): the 1,000,000-request data set made or reused, the
accounts and articles the simulated people use, and the clean-up of what a run created. Runs
in a child process with Django set up on the bench database (`load.py --step prepare`)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from supportal.bench import out
from supportal.bench.loadserver import STATE, database_url

TICKETS = 1_000_000
PASSWORD = "load-test-only-7"  # noqa: S105 - set only on generated accounts of the bench data sets
CUSTOMERS = 500  # accounts the simulated customers sign in with (more than ever run at once)


# --- Preparing the data (a child process with Django set up on the bench database) -------------


def prepare_data(database: str, tickets: int, data_path: Path, redis_url: str) -> None:
    from supportal.bench import tickets as bench

    bench.setup_django(database)
    from django.db import connection

    key = database_url(database)
    state = _state()
    top = state.get(key)
    if top is not None and bench.existing_tickets(database) not in (None, tickets):
        # A run that was killed before it could delete what it wrote: delete it now, instead
        # of making the whole data set again.
        _delete_after(top)
    bench.prepare(database, tickets, reuse=True)

    data = scenario_data()
    data_path.write_text(json.dumps(data, ensure_ascii=False))

    # The service-level clocks that came due since the data set was made (all of them, the
    # first time): a running server's worker handles them a minute at a time. Caught up here,
    # so that the measurement sees the steady minute, not hours of backlog holding the lock.
    from django.utils import timezone

    from supportal.sla.services import sla_check

    started = time.monotonic()
    result = sla_check(timezone.now())
    if result.batches > 1:
        out(
            f"Service levels caught up: {result.breached:,} breaches in "
            f"{time.monotonic() - started:.0f} s."
        )

    # A clean start: no rate-limit counters, sessions or queued tasks left by an earlier run.
    if database == "sqlite":
        from django.contrib.sessions.models import Session

        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM supportal_cache")
        Session.objects.all().delete()
    else:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    state[key] = data["top_ticket"]
    _save_state(state)
    out(
        f"Data set ready: {data['top_ticket']:,} requests, {len(data['customers'])} customers "
        f"and {len(data['agents'])} agents with the load-test password, "
        f"{sum(map(len, data['articles'].values()))} articles."
    )


def scenario_data(customers_wanted: int = CUSTOMERS) -> dict[str, Any]:
    """What the simulated people need (bench/locustfile.py): accounts with a known password,
    articles by language and search words. Adds 1,000 articles when there are
    none; sets the load-test password on the accounts it names (generated ones only)."""
    from django.contrib.auth.hashers import check_password, make_password
    from django.core.management import call_command

    from supportal.accounts.models import Role
    from supportal.bench.generate import generated_users
    from supportal.helpcenter.management.commands.generate_articles import WORDS
    from supportal.helpcenter.models import Article, ArticleTranslation, Visibility
    from supportal.tickets.models import Ticket

    if not Article.objects.exists():
        out("Adding 1,000 help-center articles (generate_articles).")
        call_command("generate_articles", count=1000, verbosity=0)
    articles: dict[str, list[int]] = {}
    for locale in WORDS:
        found = ArticleTranslation.objects.filter(
            locale=locale,
            status=ArticleTranslation.Status.PUBLISHED,
            article__visibility=Visibility.EVERYONE,
        ).values_list("article_id", flat=True)
        articles[locale] = sorted(set(found))[:400]

    # Customers who have requests (the requesters of requests spread over the whole set), and
    # every generated agent.
    top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    step = max(1, top // (customers_wanted * 4))
    requesters = set(
        Ticket.objects.filter(pk__in=range(1, top + 1, step)).values_list("requester_id", flat=True)
    )
    # Ids need not start at 1 (PostgreSQL sequences move on after deletes): the newest too.
    requesters.update(
        Ticket.objects.order_by("-pk").values_list("requester_id", flat=True)[
            : customers_wanted * 4
        ]
    )
    people = generated_users().filter(is_active=True, email_verified_at__isnull=False)
    customers = list(
        people.filter(role=Role.CUSTOMER, pk__in=requesters)
        .order_by("pk")
        .values_list("email", flat=True)[:customers_wanted]
    )
    agents = list(people.filter(role=Role.AGENT).order_by("pk").values_list("email", flat=True))
    chosen = people.filter(email__in=[*customers, *agents])
    sample = chosen.first()
    if sample is None or not check_password(PASSWORD, sample.password):
        chosen.update(password=make_password(PASSWORD))  # one hash for all: bench data only
    queries = {
        locale: [
            f"{action} {thing}" if locale == "en" else f"{thing} {action}"
            for thing in words["objects"]
            for action in words["actions"][:4]
        ]
        + list(words["objects"])
        for locale, words in WORDS.items()
    }
    return {
        "password": PASSWORD,
        "customers": customers,
        "agents": agents,
        "articles": articles,
        "queries": queries,
        "top_ticket": top,
    }


def _state() -> dict[str, int]:
    path = STATE / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save_state(state: dict[str, int]) -> None:
    (STATE / "state.json").write_text(json.dumps(state))


def _delete_after(top: int) -> int:
    from supportal.tickets.models import Ticket

    created = Ticket.objects.filter(pk__gt=top)
    count = created.count()
    if count:
        created.delete()
    return count


def cleanup_data(database: str) -> None:
    """Deletes the requests a run created (replies to existing requests stay: they do not
    change the data set's size, which is how the benchmarks recognise it)."""
    from supportal.bench import tickets as bench

    bench.setup_django(database)
    key = database_url(database)
    state = _state()
    if key in state:
        deleted = _delete_after(state.pop(key))
        out(f"Deleted the {deleted} requests this run created.")
        _save_state(state)
