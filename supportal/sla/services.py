"""The SLA worker's pass: warnings and breaches of running clocks, with escalation.

`sla_check(now)` walks the running clocks not yet breached whose due time (or warning time,
due - policy.warn_minutes) has come, in batches by due time over the partial index
sla_timer_due_idx. Each batch is one transaction with a fixed number of queries for the
clocks, their policies, the claims, the TicketEvents and the tickets; only a breach that
notifies or escalates costs queries of its own (mail per recipient, ticket_update).

A clock is claimed by a conditional UPDATE (warned_at / breached_at IS NULL) in the same
transaction as its TicketEvent (SLA_WARNING / SLA_BREACHED, via "sla:<policy id>") and its
notification mail in the outbox. A run killed at any point rolls its batch back and the next
run does it; two runs at once cannot both claim a clock (PostgreSQL: the rows are locked FOR
UPDATE SKIP LOCKED; SQLite: one writer at a time, and a claim that matches fewer rows than
expected rolls the batch back and retries it clock by clock).

Escalation on breach, per the policy: mail to the assignee and the group's leads (GroupLead),
each in their language; the priority raised one step; the request moved to
`escalate_to_group`. The changes go through ticket_update with via "sla:<id>", actor None and
channel system, so they are events like any other. A request is escalated (priority, group)
once per policy: a later breach of the same request only notifies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Q

from supportal.accounts.models import User
from supportal.sla.models import GroupLead, SlaPolicy, SlaTimer
from supportal.tickets import notifications
from supportal.tickets.models import Channel, Group, Priority, Ticket, TicketEvent
from supportal.tickets.services import Changes, ticket_update

State = SlaTimer.State
Kind = TicketEvent.Kind
BATCH = 500
DEFAULT_WARN_MINUTES = 60


@dataclass
class CheckResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    batches: int = 0
    tickets: set[int] = field(default_factory=set)


class _RacedError(Exception):
    """Another run claimed a clock of this batch first."""


def via_for(policy_id: int | None) -> str:
    return f"sla:{policy_id}" if policy_id else "sla:"


def sla_check(now: datetime, *, batch_size: int = BATCH) -> CheckResult:
    """Warns and breaches every running clock whose time has come by `now`."""
    result = CheckResult()
    longest_warn = SlaPolicy.objects.aggregate(m=Max("warn_minutes"))["m"] or 0
    horizon = now + timedelta(minutes=max(longest_warn, 0))
    cursor: tuple[datetime, int] | None = None
    while True:
        try:
            with transaction.atomic():
                rows = _batch(horizon, cursor, batch_size)
                if not rows:
                    break
                cursor = rows[-1].due_at, rows[-1].pk  # type: ignore[assignment]
                _handle(rows, now, result, strict=True)
        except _RacedError:
            # Someone else's run got there first: take what is left of this batch one by one.
            for row in rows:
                with transaction.atomic():
                    _handle([row], now, result, strict=False)
        result.batches += 1
        if len(rows) < batch_size:
            break
    return result


def _batch(horizon: datetime, cursor: tuple[datetime, int] | None, size: int) -> list[SlaTimer]:
    # The same terms as the partial index, so both databases walk it.
    timers = SlaTimer.objects.filter(
        state=State.RUNNING, breached_at__isnull=True, due_at__lte=horizon
    )
    if cursor is not None:
        timers = timers.filter(Q(due_at__gt=cursor[0]) | Q(due_at=cursor[0], pk__gt=cursor[1]))
    timers = timers.only(
        "pk", "ticket_id", "policy_id", "metric", "due_at", "warned_at", "breached_at"
    ).order_by("due_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        timers = timers.select_for_update(skip_locked=True)
    return list(timers[:size])


def _handle(rows: list[SlaTimer], now: datetime, result: CheckResult, *, strict: bool) -> None:
    policy_ids = {r.policy_id for r in rows if r.policy_id}
    policies = {p.pk: p for p in SlaPolicy.objects.filter(pk__in=policy_ids)} if policy_ids else {}

    def warn_minutes(row: SlaTimer) -> int:
        policy = policies.get(row.policy_id)  # type: ignore[arg-type]
        return policy.warn_minutes if policy else DEFAULT_WARN_MINUTES

    breach = [r for r in rows if r.due_at <= now]  # type: ignore[operator]
    warn = [
        r
        for r in rows
        if r.due_at > now  # type: ignore[operator]
        and r.warned_at is None
        and r.due_at - timedelta(minutes=warn_minutes(r)) <= now  # type: ignore[operator]
    ]
    if not breach and not warn:
        return
    breach, warn = _claim(breach, warn, now, strict)
    events = [
        TicketEvent(
            ticket_id=r.ticket_id,
            actor=None,
            channel=Channel.SYSTEM,
            kind=kind,
            field=f"sla:{r.metric}",
            new_value=r.due_at.isoformat() if r.due_at else "",
            via=via_for(r.policy_id),
            created_at=now,
        )
        for kind, claimed in ((Kind.SLA_WARNING, warn), (Kind.SLA_BREACHED, breach))
        for r in claimed
    ]
    TicketEvent.objects.bulk_create(events)
    result.warned += len(warn)
    result.breached += len(breach)
    result.tickets.update(r.ticket_id for r in (*warn, *breach))
    acting = [r for r in breach if _acts(policies.get(r.policy_id))]  # type: ignore[arg-type]
    if acting:
        _escalate(acting, policies, result)


def _acts(policy: SlaPolicy | None) -> bool:
    return (
        policy is not None
        and policy.active
        and bool(
            policy.notify_on_breach
            or policy.raise_priority_on_breach
            or policy.escalate_to_group_id
        )
    )


def _claim(
    breach: list[SlaTimer], warn: list[SlaTimer], now: datetime, strict: bool
) -> tuple[list[SlaTimer], list[SlaTimer]]:
    """Claims the clocks with conditional UPDATEs; returns those this run now owns."""
    claimed = []
    for rows, column, extra in (
        (breach, "breached_at", {"breached_at": F("due_at")}),
        (warn, "warned_at", {"warned_at": now}),
    ):
        if not rows:
            claimed.append([])
            continue
        unclaimed = SlaTimer.objects.filter(
            pk__in=[r.pk for r in rows],
            state=State.RUNNING,
            breached_at__isnull=True,
        ).filter(**{f"{column}__isnull": True})
        count = unclaimed.update(**extra)
        if count != len(rows):
            if strict:
                raise _RacedError
            rows = []  # one row at a time: it was someone else's
        claimed.append(rows)
    return claimed[0], claimed[1]


def _escalate(breach: list[SlaTimer], policies: dict[int, SlaPolicy], result: CheckResult) -> None:
    ticket_ids = {r.ticket_id for r in breach}
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=ticket_ids).select_related("assignee")}
    group_ids = {t.group_id for t in tickets.values() if t.group_id}
    leads: dict[int, list[User]] = defaultdict(list)
    if group_ids:
        for lead in GroupLead.objects.filter(group_id__in=group_ids).select_related("user"):
            leads[lead.group_id].append(lead.user)
    escalated = set(
        TicketEvent.objects.filter(
            ticket_id__in=ticket_ids, kind=Kind.CHANGED, via__startswith="sla:"
        ).values_list("ticket_id", "via")
    )
    done: set[tuple[int, int]] = set()
    for row in breach:
        ticket = tickets.get(row.ticket_id)
        policy = policies.get(row.policy_id)  # type: ignore[arg-type]
        if ticket is None or policy is None:
            continue
        if policy.notify_on_breach:
            recipients = [ticket.assignee, *leads.get(ticket.group_id or 0, [])]
            if any(recipients):
                notifications.sla_breached(ticket, row.metric, [u for u in recipients if u])
        key = (ticket.pk, policy.pk)
        if key in done or (ticket.pk, via_for(policy.pk)) in escalated:
            continue
        done.add(key)
        if _raise_and_reassign(ticket, policy):
            result.escalated += 1


def _raise_and_reassign(ticket: Ticket, policy: SlaPolicy) -> bool:
    changes: dict[str, Any] = {}
    if policy.raise_priority_on_breach and ticket.priority < Priority.URGENT:
        changes["priority"] = ticket.priority + 1
    group: Group | None = policy.escalate_to_group
    if group is not None and group.pk != ticket.group_id:
        changes["group"] = group
    if not changes:
        return False
    events = ticket_update(
        ticket=ticket,
        actor=None,
        changes=Changes(**changes),
        channel=Channel.SYSTEM,
        via=via_for(policy.pk),
    )
    return bool(events)
