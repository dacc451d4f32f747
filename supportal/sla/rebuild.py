"""Clocks computed from a request's history, for requests that existed before their policy
(demo data, a data generator, a policy added to a running helpdesk).

`replay` is pure: it runs a request's steps (created, replies, status changes) through the
same Clocks the live engine uses. `sla_rebuild(tickets)` reads the history of many requests in
a few queries (events, the actors' roles, tags and field values) and writes their clocks and
TicketSla rows in bulk, replacing what they had. The policy is the one that matches the
request as it is now. A clock found past due is marked breached as the worker would have
(breached_at = due time, no event or mail): rebuilding old requests must not mail anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from supportal.accounts.models import Role, User
from supportal.sla import matching
from supportal.sla.engine import Clock, Clocks, State
from supportal.sla.models import Metric, SlaTimer, TicketSla
from supportal.sla.policies import Policy
from supportal.tickets.models import SOLVED, Ticket, TicketEvent, TicketFieldValue, TicketTag

CHUNK = 2_000

CREATED, AGENT_REPLY, CUSTOMER_REPLY, STATUS = "created", "agent", "customer", "status"


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # CREATED, AGENT_REPLY, CUSTOMER_REPLY or STATUS
    new: str = ""  # the new status
    on_behalf: bool = False  # created: by an agent for the requester


def replay(
    ticket_id: int,
    policy: Policy | None,
    priority: int,
    steps: Sequence[Step],
    clock: Clock,
    now: datetime,
) -> tuple[list[SlaTimer], tuple[datetime | None, str]]:
    """The clocks `steps` leave (unsaved rows) and the (next due time, metric) summary."""
    if policy is None:
        return [], (None, "")
    stub = Ticket(pk=ticket_id)
    clocks = Clocks(
        ticket=stub,
        policy=policy,
        targets=policy.targets_for(priority),
        clock=clock,
        now=now,
        open={},
        dirty={},
        new=[],
    )
    status, agent_replied = "new", False
    for step in steps:
        clocks.now = step.at
        if step.kind == CREATED:
            if step.on_behalf:
                agent_replied = True  # the agent's description is their first public word
            else:
                clocks.start(Metric.FIRST_REPLY, step.at)
            clocks.start(Metric.RESOLUTION, step.at)
        elif step.kind == AGENT_REPLY:
            for metric in (Metric.FIRST_REPLY, Metric.NEXT_REPLY, Metric.PERIODIC_UPDATE):
                clocks.stop(metric, step.at)
            if status not in SOLVED:
                clocks.start(Metric.PERIODIC_UPDATE, step.at)
            agent_replied = True
        elif step.kind == CUSTOMER_REPLY:
            if agent_replied:
                clocks.start(Metric.NEXT_REPLY, step.at)
        elif step.kind == STATUS and step.new != status:
            if step.new in SOLVED and status not in SOLVED:
                clocks.stop(Metric.RESOLUTION, step.at)
                for metric in list(clocks.open):
                    clocks.cancel(metric, step.at)
            elif step.new not in SOLVED and status in SOLVED:
                clocks.start(Metric.RESOLUTION, step.at)
            status = step.new
        clocks.settle_pauses(status)
    clocks.now = now
    warn = timedelta(minutes=policy.row.warn_minutes)
    for timer in clocks.open.values():
        if timer.state == State.RUNNING and timer.due_at is not None:
            if timer.due_at <= now:
                timer.breached_at = timer.due_at
            if timer.due_at - warn <= now:
                timer.warned_at = max(timer.due_at - warn, timer.started_at)
    return clocks.new, clocks.summary()


class _Row:
    """What matching reads from a request, without a query."""

    def __init__(self, ticket: Ticket) -> None:
        self.pk = ticket.pk
        self.priority = ticket.priority
        self.channel = ticket.channel
        self.type_id = ticket.type_id
        self.group_id = ticket.group_id
        self.organization_id = ticket.organization_id


def _steps(ticket: Ticket, events: Iterable[Any], agents: set[int]) -> list[Step]:
    steps = []
    for kind, field, new, actor_id, at in events:
        if kind == TicketEvent.Kind.CREATED:
            on_behalf = actor_id in agents and actor_id != ticket.requester_id
            steps.append(Step(at, CREATED, on_behalf=on_behalf))
        elif kind == TicketEvent.Kind.REPLIED:
            steps.append(Step(at, AGENT_REPLY if actor_id in agents else CUSTOMER_REPLY))
        elif kind == TicketEvent.Kind.CHANGED and field == "status":
            steps.append(Step(at, STATUS, new=new))
    return steps


def sla_rebuild(tickets: Iterable[Ticket | int], *, now: datetime | None = None) -> int:
    """Recomputes the clocks of `tickets` from their history; returns how many clocks."""
    now = now or timezone.now()
    ids = [t if isinstance(t, int) else t.pk for t in tickets]
    written = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            written += _rebuild_chunk(ids[start : start + CHUNK], now)
    return written


def _rebuild_chunk(ids: list[int], now: datetime) -> int:
    rows = list(Ticket.objects.filter(pk__in=ids).order_by("pk"))
    events: dict[int, list[Any]] = defaultdict(list)
    actor_ids: set[int] = set()
    for ticket_id, *event in (
        TicketEvent.objects.filter(
            ticket_id__in=ids,
            kind__in=(TicketEvent.Kind.CREATED, TicketEvent.Kind.REPLIED, TicketEvent.Kind.CHANGED),
        )
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "kind", "field", "new_value", "actor_id", "created_at")
    ):
        if event[0] == TicketEvent.Kind.CHANGED and event[1] != "status":
            continue
        events[ticket_id].append(event)
        if event[3]:
            actor_ids.add(event[3])
    agents = set(
        User.objects.filter(pk__in=actor_ids)
        .filter(role__in=(Role.AGENT, Role.ADMIN))
        .values_list("pk", flat=True)
    ) | set(User.objects.filter(pk__in=actor_ids, is_superuser=True).values_list("pk", flat=True))
    tags: dict[int, set[str]] = defaultdict(set)
    fields: dict[int, dict[str, str]] = defaultdict(dict)
    from supportal.sla import policies as policy_cache

    if policy_cache.reads_tags():
        for ticket_id, name in TicketTag.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "tag__name"
        ):
            tags[ticket_id].add(name)
    if policy_cache.reads_fields():
        for ticket_id, key, value in TicketFieldValue.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "field__key", "value"
        ):
            fields[ticket_id][key] = value
    clocks: dict[int | None, Clock] = {}
    timers: list[SlaTimer] = []
    slas: list[TicketSla] = []
    for ticket in rows:
        facts = matching.Facts(
            _Row(ticket),  # type: ignore[arg-type]
            _tags=frozenset(tags.get(ticket.pk, ())),
            _fields=fields.get(ticket.pk, {}),
        )
        policy = matching.match(facts)
        clock = clocks.setdefault(ticket.group_id, Clock(ticket.group_id))
        made, (next_due, next_metric) = replay(
            ticket.pk,
            policy,
            ticket.priority,
            _steps(ticket, events.get(ticket.pk, ()), agents),
            clock,
            now,
        )
        timers.extend(made)
        if policy is not None:
            slas.append(
                TicketSla(
                    ticket_id=ticket.pk,
                    policy_id=policy.pk,
                    next_due_at=next_due,
                    next_metric=next_metric,
                )
            )
    SlaTimer.objects.filter(ticket_id__in=ids).delete()
    TicketSla.objects.filter(ticket_id__in=ids).delete()
    SlaTimer.objects.bulk_create(timers, batch_size=1000)
    TicketSla.objects.bulk_create(slas, batch_size=1000)
    return len(timers)
