"""Service levels for generated data (supportal.bench.generate): business hours, policies,
group leads, and each generated request's clocks computed from its generated history with the
engine's own replay, written as raw rows with the request's other rows.

The clocks come out as a live helpdesk's would: achieved and breached ones on solved requests,
overdue ones (already marked breached, as the worker would have) and ones due soon on open
requests. Clocks due in the last few minutes are left for the worker's next pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from supportal.accounts.models import User
from supportal.sla import matching
from supportal.sla import policies as policy_cache
from supportal.sla.engine import Clock
from supportal.sla.models import (
    GroupLead,
    GroupSchedule,
    Holiday,
    Metric,
    Schedule,
    ScheduleInterval,
    SlaPolicy,
    SlaTarget,
)
from supportal.sla.policies import policies_changed
from supportal.sla.rebuild import AGENT_REPLY, CREATED, CUSTOMER_REPLY, STATUS, Step, replay
from supportal.sla.selectors import bump_hours_version
from supportal.tickets.models import Group

# Clocks whose due time passed less than this long before the load are left for the worker:
# what one of its passes (every minute) finds.
LEFT_FOR_WORKER = timedelta(minutes=1)

TIMER_COLUMNS = (
    "id", "ticket_id", "policy_id", "metric", "state", "target_minutes", "business_hours",
    "started_at", "due_at", "paused_at", "seconds_left", "paused_seconds", "warned_at",
    "breached_at", "stopped_at",
)  # fmt: skip
TICKET_SLA_COLUMNS = ("ticket_id", "policy_id", "next_due_at", "next_metric")

SCHEDULES = (
    # name, zone, default, holidays (month, day)
    ("Seoul (generated)", "Asia/Seoul", True, ((1, 1), (3, 1), (5, 5), (8, 15), (10, 3))),
    ("London (generated)", "Europe/London", False, ((1, 1), (12, 25), (12, 26))),
    ("New York (generated)", "America/New_York", False, ((1, 1), (7, 4), (12, 25))),
)
H = 60
POLICIES = (
    # name, priorities, targets (priority, metric, minutes, business hours)
    ("Urgent and high (generated)", [4, 3], [
        (4, Metric.FIRST_REPLY, 1 * H, True), (3, Metric.FIRST_REPLY, 4 * H, True),
        (4, Metric.RESOLUTION, 8 * H, True), (3, Metric.RESOLUTION, 24 * H, True),
        (4, Metric.NEXT_REPLY, 2 * H, True), (3, Metric.NEXT_REPLY, 8 * H, True),
        (4, Metric.PERIODIC_UPDATE, 4 * H, True),
    ]),
    ("Standard (generated)", [], [
        (2, Metric.FIRST_REPLY, 8 * H, True), (1, Metric.FIRST_REPLY, 8 * H, True),
        (2, Metric.RESOLUTION, 24 * H, True), (1, Metric.RESOLUTION, 40 * H, True),
        (2, Metric.NEXT_REPLY, 24 * H, False),
    ]),
)  # fmt: skip


def _setup(groups: Sequence[Group], agent_ids: Sequence[int], year: int) -> None:
    if not Schedule.objects.exists():
        for name, zone, default, holidays in SCHEDULES:
            schedule = Schedule.objects.create(name=name, time_zone=zone, is_default=default)
            ScheduleInterval.objects.bulk_create(
                ScheduleInterval(schedule=schedule, weekday=day, start=time(9), end=time(18))
                for day in range(5)
            )
            Holiday.objects.bulk_create(
                Holiday(schedule=schedule, date=date(year, m, d), name="Holiday", yearly=True)
                for m, d in holidays
            )
        schedules = list(Schedule.objects.filter(name__endswith="(generated)"))
        GroupSchedule.objects.bulk_create(
            (
                GroupSchedule(group=group, schedule=schedules[n % len(schedules)])
                for n, group in enumerate(groups)
            ),
            ignore_conflicts=True,
        )
        bump_hours_version()
    if not SlaPolicy.objects.exists():
        for position, (name, priorities, targets) in enumerate(POLICIES):
            policy = SlaPolicy.objects.create(
                name=name, position=position, priorities=priorities, warn_minutes=60
            )
            SlaTarget.objects.bulk_create(
                SlaTarget(policy=policy, priority=p, metric=m, minutes=mins, business_hours=bh)
                for p, m, mins, bh in targets
            )
        policies_changed()
    agents = list(User.objects.filter(pk__in=agent_ids[: len(groups)]))
    GroupLead.objects.bulk_create(
        (GroupLead(group=group, user=agent) for group, agent in zip(groups, agents, strict=False)),
        ignore_conflicts=True,
    )


class _Facts:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


class SlaRows:
    """Builds the SLA rows of generated requests, one call per request."""

    def __init__(
        self, groups: Sequence[Group], agent_ids: Sequence[int], now: float, next_timer_id: int
    ) -> None:
        self.now = datetime.fromtimestamp(now, UTC)
        _setup(groups, agent_ids, self.now.year)
        policy_cache.policies_changed()  # read the policies just written
        self.policies = policy_cache.active_policies()
        self.clocks: dict[int | None, Clock] = {}
        self.timer_id = next_timer_id

    def rows(
        self,
        *,
        pk: int,
        priority: int,
        channel: str,
        type_id: int | None,
        group_id: int | None,
        organization_id: int | None,
        requester: int,
        tags: frozenset[str],
        fields: dict[str, str],
        events: Sequence[tuple[Any, ...]],
        at: Any,
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """(timer rows, ticket-SLA rows) for one request; `events` are the generator's
        (ticket, actor, channel, kind, field, old, new, epoch seconds) and `at` turns epoch
        seconds into a column value."""
        if not self.policies:
            return [], []
        ticket = _Facts(
            pk=pk,
            priority=priority,
            channel=channel,
            type_id=type_id,
            group_id=group_id,
            organization_id=organization_id,
        )
        facts = matching.Facts(ticket, _tags=tags, _fields=fields)  # type: ignore[arg-type]
        policy = matching.match(facts)
        if policy is None:
            return [], []
        steps = []
        for _t, actor, _c, kind, field, _old, new, moment in sorted(events, key=lambda e: e[-1]):
            when = datetime.fromtimestamp(moment, UTC)
            if kind == "created":
                steps.append(Step(when, CREATED))
            elif kind == "replied":
                steps.append(Step(when, CUSTOMER_REPLY if actor == requester else AGENT_REPLY))
            elif kind == "changed" and field == "status":
                steps.append(Step(when, STATUS, new=new))
        clock = self.clocks.setdefault(group_id, Clock(group_id))
        timers, (next_due, next_metric) = replay(pk, policy, priority, steps, clock, self.now)

        def value(moment: datetime | None) -> Any:
            return None if moment is None else at(moment.timestamp())

        timer_rows = []
        for timer in timers:
            if timer.breached_at and self.now - timer.breached_at < LEFT_FOR_WORKER:
                timer.breached_at = None
                timer.warned_at = None
            timer_rows.append((
                self.timer_id, pk, policy.pk, timer.metric, timer.state, timer.target_minutes,
                timer.business_hours, value(timer.started_at), value(timer.due_at),
                value(timer.paused_at), timer.seconds_left, timer.paused_seconds,
                value(timer.warned_at), value(timer.breached_at), value(timer.stopped_at),
            ))  # fmt: skip
            self.timer_id += 1
        return timer_rows, [(pk, policy.pk, value(next_due), next_metric)]
