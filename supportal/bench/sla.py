"""Service levels at scale: the worker's pass and what a request change pays for its clocks.

    python -m supportal.bench.sla [--tickets 1000000] [--database sqlite|postgres|both]
                                      [--reuse] [--samples 200]

The data set is bench_tickets' (var/bench-tickets.sqlite3 and the PostgreSQL database
"supportal_bench"): `generate_data` writes schedules, policies and every request's clocks with
the requests. With --reuse an existing set of the same size is kept (a set generated before
service levels existed gets its clocks from sla_rebuild).

Measured:
- the worker's pass, `sla_check(now)`: as every minute (what came due since the last pass), and
  a heavy one an hour ahead (every warning and breach of the coming hour, mail and escalation
  included); wall time, queries, batches. Both are rolled back, so the set stays as it was.
- a request change with and without the SLA receiver: an agent's public reply, a priority
  change (re-matching and re-targeting), pending and back: p50/p95 ms and queries each, on
  open requests with clocks, each in a transaction rolled back.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from supportal.bench import on_each_database
from supportal.bench import tickets as tickets_bench
from supportal.bench.tickets import out


def prepare(database: str, tickets: int, reuse: bool) -> None:
    """bench_tickets' data set (the same million requests; `make bench` generates it once), with
    clocks built from history when it was generated before service levels existed."""
    tickets_bench.prepare(database, tickets, reuse)
    _clocks_for_old_sets()


def _clocks_for_old_sets() -> None:
    """A set generated before service levels: policies and clocks from its history."""
    from supportal.bench.generate import generated_users
    from supportal.bench.generate_sla import _setup
    from supportal.sla.models import SlaTimer
    from supportal.sla.rebuild import sla_rebuild
    from supportal.tickets.models import Group, Ticket

    if SlaTimer.objects.exists():
        return
    started = time.perf_counter()
    groups = list(Group.objects.filter(name__endswith="(generated)"))
    agents = list(generated_users().exclude(role="customer").values_list("pk", flat=True))
    _setup(groups, agents, time.gmtime().tm_year)
    count = sla_rebuild(list(Ticket.objects.values_list("pk", flat=True)))
    out(f"Clocks rebuilt from history: {count:,} in {time.perf_counter() - started:.0f} s.")


class _RollbackError(Exception):
    pass


def rolled_back(action: Callable[[], Any]) -> tuple[float, int, Any]:
    """(ms, queries, result) of `action` in a transaction that is then rolled back."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    result: Any = None
    with CaptureQueriesContext(connection) as context:
        started = time.perf_counter()
        try:
            with transaction.atomic():
                result = action()
                elapsed = time.perf_counter() - started
                raise _RollbackError
        except _RollbackError:
            pass
    return elapsed * 1000, len(context.captured_queries), result


def run_pass() -> None:
    from django.utils import timezone

    from supportal.sla.models import SlaTimer
    from supportal.sla.services import sla_check

    running = SlaTimer.objects.filter(state=SlaTimer.State.RUNNING).count()
    out(f"Running clocks: {running:,}\n")
    out("| pass | ms | queries | batches | warned | breached | escalated |")
    out("|---|---:|---:|---:|---:|---:|---:|")
    now = timezone.now()
    for label, at in (
        ("every minute (now)", now),
        ("the same again, warm", now),
        ("one hour ahead", now + timedelta(hours=1)),
    ):
        ms, queries, result = rolled_back(lambda at=at: sla_check(at))
        out(
            f"| {label} | {ms:,.0f} | {queries} | {result.batches} | {result.warned:,} | "
            f"{result.breached:,} | {result.escalated:,} |"
        )


def run_changes(samples: int) -> None:
    from supportal.accounts.models import User
    from supportal.sla import engine
    from supportal.sla.models import SlaTimer
    from supportal.tickets import hooks
    from supportal.tickets.models import Status, Ticket
    from supportal.tickets.services import Changes, ticket_reply, ticket_update

    ids = list(
        SlaTimer.objects.filter(state=SlaTimer.State.RUNNING)
        .values_list("ticket_id", flat=True)
        .distinct()[:5000]
    )
    rng = random.Random(3)  # noqa: S311 - sampling, not secrets
    picked = rng.sample(ids, min(samples, len(ids)))
    tickets = list(Ticket.objects.filter(pk__in=picked).exclude(status=Status.PENDING))
    agent = User.objects.filter(role="agent").order_by("pk").first()
    actions: dict[str, Callable[[Ticket], Any]] = {
        "agent's public reply": lambda t: ticket_reply(ticket=t, author=agent, body="Checking."),
        "priority change": lambda t: ticket_update(
            ticket=t, actor=agent, changes=Changes(priority=4 if t.priority != 4 else 3)
        ),
        "pending (pause)": lambda t: ticket_update(
            ticket=t, actor=agent, changes=Changes(status=Status.PENDING)
        ),
    }
    out(f"\nA request change, {len(tickets)} open requests with clocks each\n")
    out("| change | with SLA p50 ms | p95 ms | queries | without p50 ms | queries | SLA cost ms |")
    out("|---|---:|---:|---:|---:|---:|---:|")
    receivers = list(hooks._receivers)
    without = [r for r in receivers if r is not engine.on_ticket_changed]
    for label, action in actions.items():
        times: dict[bool, list[float]] = {True: [], False: []}
        queries: dict[bool, list[int]] = {True: [], False: []}
        # Each request changed with and without the receiver, one after the other, after a
        # warm-up (templates, the schedules' copy, zone offsets).
        for n, ticket in enumerate([*tickets[:5], *tickets]):
            for connected in (True, False):
                hooks._receivers[:] = receivers if connected else without
                ms, count, _ = rolled_back(lambda ticket=ticket, action=action: action(ticket))
                if n >= 5:
                    times[connected].append(ms)
                    queries[connected].append(count)
        hooks._receivers[:] = receivers
        figures = {}
        for connected in (True, False):
            ordered = sorted(times[connected])
            figures[connected] = (
                statistics.median(ordered),
                ordered[max(0, int(len(ordered) * 0.95) - 1)],
                statistics.median(queries[connected]),
            )
        (p50, p95, q), (p50_off, _p95_off, q_off) = figures[True], figures[False]
        out(
            f"| {label} | {p50:.2f} | {p95:.2f} | {q:.0f} | {p50_off:.2f} | {q_off:.0f} | "
            f"{p50 - p50_off:.2f} |"
        )


def run_one(database: str, tickets: int, reuse: bool, samples: int) -> None:
    tickets_bench.setup_django(database)
    started = time.perf_counter()
    prepare(database, tickets, reuse)
    out(f"Data set ready in {time.perf_counter() - started:.0f} s.")
    from django.db import connection

    from supportal.tickets.models import Ticket

    out(f"\n{connection.vendor}, {Ticket.objects.count():,} requests\n")
    run_pass()
    run_changes(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--reuse", action="store_true", help="keep a data set of the same size")
    parser.add_argument("--samples", type=int, default=200, help="requests changed per change")
    args = parser.parse_args(argv)
    if args.database != "both":
        run_one(args.database, args.tickets, args.reuse, args.samples)
        return
    arguments = ["--tickets", str(args.tickets), "--samples", str(args.samples)]
    on_each_database("supportal.bench.sla", arguments + ["--reuse"] * args.reuse)


if __name__ == "__main__":
    main()
