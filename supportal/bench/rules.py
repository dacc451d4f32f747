"""What triggers cost a request update: "at most 5 ms with 50 active triggers".

    python -m supportal.bench.rules [--database sqlite|postgres] [--updates 300]

Makes a scratch database (var/bench-rules.sqlite3, or "supportal_bench_rules" on the local
PostgreSQL; nothing else is touched), then times `ticket_update` (a priority change by an agent,
as the request page makes it) with no trigger, and with 50 active triggers of the usual kinds
(field values, tags, words, what changed), none of which acts, so only their evaluation is
measured. Prints the p50 and p95 of each and the queries of one update.
"""

from __future__ import annotations

import argparse
import statistics
import time

from supportal.bench import fresh_database, out

BUDGET_MS = 5.0


def make_triggers(count: int) -> None:
    from supportal.rules.triggers import trigger_save
    from supportal.tickets.models import Group

    group = Group.objects.get(name="Bench")
    for n in range(count):
        shape = n % 5
        conditions = [
            [{"field": "status", "op": "is", "value": "solved"}],
            [{"field": "tags", "op": "includes", "value": f"bench-{n}"}],
            [{"field": "subject", "op": "contains", "value": f"word{n} other{n}"}],
            [{"field": "priority", "op": "changed_to", "value": "1"}],
            [
                {"field": "group", "op": "is", "value": str(group.pk)},
                {"field": "assignee", "op": "changed_to", "value": "none"},
            ],
        ][shape]
        trigger_save(
            trigger=None,
            name=f"Bench {n}",
            conditions_all=conditions,
            actions=[{"action": "add_tags", "value": f"fired-{n}"}],
        )


def timed_updates(count: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportal.accounts.models import User
    from supportal.tickets.models import Priority, Ticket
    from supportal.tickets.services import Changes, ticket_update

    agent = User.objects.get(email="agent@bench.test")
    ticket = Ticket.objects.get(subject="Bench request")
    times = []
    for n in range(count):
        priority = Priority.HIGH if n % 2 == 0 else Priority.NORMAL
        started = time.perf_counter()
        ticket_update(ticket=ticket, actor=agent, changes=Changes(priority=priority))
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        ticket_update(ticket=ticket, actor=agent, changes=Changes(priority=Priority.URGENT))
    ticket_update(ticket=ticket, actor=agent, changes=Changes(priority=Priority.NORMAL))
    return times, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    fresh_database(args.database, name="supportal_bench_rules")

    from supportal.accounts.models import Role, User
    from supportal.rules import triggers
    from supportal.tickets.models import Group
    from supportal.tickets.services import ticket_create

    agent = User.objects.create_user(
        email="agent@bench.test", password=None, name="Agent", role=Role.AGENT
    )
    customer = User.objects.create_user(email="c@bench.test", password=None, name="Customer")
    group = Group.objects.create(name="Bench")
    group.members.add(agent)
    ticket_create(
        requester=customer, subject="Bench request", description="Text", group=group, notify=False
    )

    def report(label: str) -> float:
        timed_updates(30)  # warm-up
        times, queries = timed_updates(args.updates)
        p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
        out(f"{label:<16} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   {queries} queries")
        return p50

    out(f"ticket_update on {args.database}, {args.updates} updates each")
    without = report("no triggers")
    make_triggers(50)
    triggers.active_triggers()
    with_fifty = report("50 triggers")
    added = with_fifty - without
    verdict = "within" if added <= BUDGET_MS else "OVER"
    out(f"added by 50 triggers: {added:.2f} ms at p50 ({verdict} the {BUDGET_MS:.0f} ms budget)")


if __name__ == "__main__":
    main()
