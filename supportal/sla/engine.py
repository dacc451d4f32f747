"""The SLA clocks: started, stopped, paused and re-targeted as a request changes.

`on_ticket_changed` is connected to supportal.tickets.hooks and runs inside the transaction of
every request change. With no active policy it returns at once without a query (the policies
are a per-process copy, see supportal.sla.policies): emailed requests arrive at hundreds a
second. Otherwise it re-matches the request (Zendesk re-evaluates on every update), brings the
open clocks to the policy's targets and applies what happened in the change:

- created: first reply and resolution start (first reply only when the requester, not an agent
  on their behalf, opened the request);
- an agent's public reply stops first reply and next reply (achieved, or breached if after the
  due time) and restarts periodic update;
- a customer's public reply starts next reply when an agent has replied publicly before;
- solved or closed: resolution achieved (or breached), every other clock cancelled;
- reopened (from solved or closed): a new resolution cycle; first reply stays as it was;
- pending (and on-hold when the policy says so) pauses running clocks, keeping the time left;
  leaving it resumes them (new due = now + time left, counted in business hours). A clock
  already past due is not paused: it stays breached.

A clock's due time is always started_at + target + time spent paused (business or calendar
time, by the target), so a new target or a new group's schedule recomputes it from its start.
TicketSla (policy, earliest due time) is written in the same transaction for the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from supportal.lib import businesstime
from supportal.sla import matching
from supportal.sla import policies as policy_cache
from supportal.sla.models import Metric, SlaTarget, SlaTimer, TicketSla
from supportal.sla.policies import Policy
from supportal.sla.selectors import schedule_for_group
from supportal.tickets.hooks import TicketChange
from supportal.tickets.models import SOLVED, Message, Status, Ticket

State = SlaTimer.State
OPEN_STATES = (State.RUNNING, State.PAUSED)


# --- Time arithmetic --------------------------------------------------------------------


class Clock:
    """Adds and measures time for one request: business hours of its group, or calendar."""

    def __init__(self, group_id: int | None) -> None:
        self.group_id = group_id
        self._schedule: businesstime.Schedule | bool | None = False  # False: not read yet

    @property
    def schedule(self) -> businesstime.Schedule | None:
        if self._schedule is False:
            self._schedule = schedule_for_group(self.group_id)
        return self._schedule  # type: ignore[return-value]

    def add(self, start: datetime, seconds: int, business: bool) -> datetime:
        schedule = self.schedule if business else None
        if schedule is None:
            return start + timedelta(seconds=seconds)
        return businesstime.add_business_time(start, timedelta(seconds=seconds), schedule)

    def between(self, start: datetime, end: datetime, business: bool) -> int:
        if end <= start:
            return 0
        schedule = self.schedule if business else None
        if schedule is None:
            return int((end - start).total_seconds())
        return int(businesstime.business_time_between(start, end, schedule).total_seconds())


def due_for(timer: SlaTimer, clock: Clock) -> datetime:
    return clock.add(
        timer.started_at, timer.target_minutes * 60 + timer.paused_seconds, timer.business_hours
    )


# --- One request's clocks ------------------------------------------------------------------


def pauses(policy: Policy | None, status: str) -> bool:
    if policy is None:
        return False
    if status == Status.PENDING:
        return policy.row.pause_when_pending
    if status == Status.ON_HOLD:
        return policy.row.pause_when_on_hold
    return False


@dataclass
class Clocks:
    """The open clocks of one request and what changed, written by `save`."""

    ticket: Ticket
    policy: Policy | None
    targets: dict[str, SlaTarget]
    clock: Clock
    now: datetime
    open: dict[str, SlaTimer]  # metric -> running or paused timer
    dirty: dict[int, SlaTimer]
    new: list[SlaTimer]
    ticket_group_changed: bool = False

    def start(self, metric: str, at: datetime) -> SlaTimer | None:
        target = self.targets.get(metric)
        if target is None or metric in self.open:
            return None
        timer = SlaTimer(
            ticket_id=self.ticket.pk,
            policy_id=self.policy.pk if self.policy else None,
            metric=metric,
            state=State.RUNNING,
            target_minutes=target.minutes,
            business_hours=target.business_hours,
            started_at=at,
        )
        timer.due_at = due_for(timer, self.clock)
        self.open[metric] = timer
        self.new.append(timer)
        return timer

    def _touch(self, timer: SlaTimer) -> None:
        if timer.pk:
            self.dirty[timer.pk] = timer

    def stop(self, metric: str, at: datetime) -> SlaTimer | None:
        """Achieved, or breached when stopped after its due time."""
        timer = self.open.pop(metric, None)
        if timer is None:
            return None
        if timer.state == State.RUNNING and timer.due_at is not None and at > timer.due_at:
            timer.state = State.BREACHED
            timer.breached_at = timer.breached_at or timer.due_at
        else:
            timer.state = State.ACHIEVED
        timer.stopped_at = at
        timer.paused_at = None
        timer.seconds_left = None
        self._touch(timer)
        return timer

    def cancel(self, metric: str, at: datetime) -> None:
        timer = self.open.pop(metric, None)
        if timer is None:
            return
        timer.state = State.CANCELLED
        timer.stopped_at = at
        self._touch(timer)

    def retarget(self) -> None:
        """Brings the open clocks to the current policy's targets (and group's schedule)."""
        for metric in list(self.open):
            timer = self.open[metric]
            target = self.targets.get(metric)
            if target is None:
                self.cancel(metric, self.now)
                continue
            policy_id = self.policy.pk if self.policy else None
            same = (
                timer.policy_id == policy_id
                and timer.target_minutes == target.minutes
                and timer.business_hours == target.business_hours
            )
            if same and not self.ticket_group_changed:
                continue
            timer.policy_id = policy_id
            timer.target_minutes = target.minutes
            timer.business_hours = target.business_hours
            if timer.state == State.RUNNING:
                timer.due_at = due_for(timer, self.clock)
                self._rearm(timer)
            else:
                # Paused: what is left of the new target, counted from its start.
                paused_at = timer.paused_at or self.now
                used = (
                    self.clock.between(timer.started_at, paused_at, timer.business_hours)
                    - timer.paused_seconds
                )
                left = target.minutes * 60 - used
                if left <= 0:  # already past the new target: running and overdue
                    self._resume(timer)
                else:
                    timer.seconds_left = left
            self._touch(timer)

    def _rearm(self, timer: SlaTimer) -> None:
        """A due time moved later: warn again before it (a breach is never taken back)."""
        if timer.due_at and timer.warned_at and timer.breached_at is None:
            warn = timedelta(minutes=self.policy.row.warn_minutes if self.policy else 0)
            if timer.due_at - warn > self.now:
                timer.warned_at = None

    def _resume(self, timer: SlaTimer) -> None:
        timer.paused_seconds += self.clock.between(
            timer.paused_at or self.now, self.now, timer.business_hours
        )
        timer.state = State.RUNNING
        timer.due_at = due_for(timer, self.clock)
        timer.paused_at = None
        timer.seconds_left = None
        self._rearm(timer)
        self._touch(timer)

    def settle_pauses(self, status: str) -> None:
        """Pauses running clocks while the status pauses them; resumes them otherwise."""
        paused = pauses(self.policy, status)
        for timer in self.open.values():
            if paused and timer.state == State.RUNNING:
                if timer.due_at is None or timer.due_at <= self.now:
                    continue  # overdue: stays running, and breached
                timer.seconds_left = self.clock.between(
                    self.now, timer.due_at, timer.business_hours
                )
                timer.state = State.PAUSED
                timer.paused_at = self.now
                timer.due_at = None
                self._touch(timer)
            elif not paused and timer.state == State.PAUSED:
                self._resume(timer)

    def summary(self) -> tuple[datetime | None, str]:
        """The earliest running due time and its metric; with only paused clocks, no due time
        and the metric of the one with least time left (the inbox shows it as paused)."""
        running = [t for t in self.open.values() if t.state == State.RUNNING and t.due_at]
        if running:
            first = min(running, key=lambda t: t.due_at)  # type: ignore[arg-type,return-value]
            return first.due_at, first.metric
        paused = [t for t in self.open.values() if t.state == State.PAUSED]
        if paused:
            return None, min(paused, key=lambda t: t.seconds_left or 0).metric
        return None, ""

    def save(self, sla: TicketSla | None) -> None:
        if self.new:
            SlaTimer.objects.bulk_create(self.new)
        for timer in self.dirty.values():
            timer.save()
        next_due, next_metric = self.summary()
        policy_id = self.policy.pk if self.policy else None
        if sla is None:
            if policy_id is None and next_due is None:
                return
            TicketSla.objects.create(
                ticket_id=self.ticket.pk,
                policy_id=policy_id,
                next_due_at=next_due,
                next_metric=next_metric,
            )
        elif (sla.policy_id, sla.next_due_at, sla.next_metric) != (
            policy_id,
            next_due,
            next_metric,
        ):
            TicketSla.objects.filter(pk=sla.pk).update(
                policy_id=policy_id, next_due_at=next_due, next_metric=next_metric
            )


def _agent_replied_before(ticket: Ticket, before: datetime, exclude: int | None) -> bool:
    from supportal.accounts.models import Role

    messages = Message.objects.filter(
        ticket_id=ticket.pk, public=True, created_at__lte=before
    ).filter(
        # Agents and admins; superusers are rare enough to leave out of the index-friendly test.
        author__role__in=(Role.AGENT, Role.ADMIN)
    )
    if exclude:
        messages = messages.exclude(pk=exclude)
    return messages.exists()


def apply_change(change: TicketChange) -> None:
    """Brings one request's clocks up to date with `change` (see the module docstring)."""
    ticket = change.ticket
    now = change.events[0].created_at if change.events else timezone.now()
    policy = matching.match(matching.Facts(ticket))
    sla = None if change.created else TicketSla.objects.filter(ticket_id=ticket.pk).first()
    timers = (
        []
        if change.created
        else list(SlaTimer.objects.filter(ticket_id=ticket.pk, state__in=OPEN_STATES))
    )
    if policy is None and not timers and (sla is None or sla.policy_id is None):
        if sla is not None and (sla.next_due_at is not None or sla.next_metric):
            TicketSla.objects.filter(pk=sla.pk).update(next_due_at=None, next_metric="")
        return
    open_timers: dict[str, SlaTimer] = {}
    duplicates = []
    for timer in sorted(timers, key=lambda t: t.started_at):
        if timer.metric in open_timers:
            duplicates.append(open_timers[timer.metric])
        open_timers[timer.metric] = timer
    clocks = Clocks(
        ticket=ticket,
        policy=policy,
        targets=policy.targets_for(ticket.priority) if policy else {},
        clock=Clock(ticket.group_id),
        now=now,
        open=open_timers,
        dirty={},
        new=[],
    )
    for timer in duplicates:  # never expected; keep one open clock per metric
        timer.state, timer.stopped_at = State.CANCELLED, now
        clocks.dirty[timer.pk] = timer
    clocks.ticket_group_changed = change.changed("group") is not None
    clocks.retarget()

    status_event = change.changed("status")
    old_status = status_event.old_value if status_event else ticket.status
    if change.created:
        actor = change.actor
        on_behalf = actor is not None and actor.is_agent and actor.pk != ticket.requester_id
        if not on_behalf:
            clocks.start(Metric.FIRST_REPLY, ticket.created_at)
        clocks.start(Metric.RESOLUTION, ticket.created_at)
    elif (
        policy is not None
        and ticket.status not in SOLVED
        and (sla is None or sla.policy_id != policy.pk or change.changed("priority"))
    ):
        _start_missing(clocks, ticket)

    message = change.message
    if message is not None and message.public and ticket.pk is not None and not change.created:
        author = change.actor
        if author is not None and author.is_agent:
            clocks.stop(Metric.FIRST_REPLY, message.created_at)
            clocks.stop(Metric.NEXT_REPLY, message.created_at)
            clocks.stop(Metric.PERIODIC_UPDATE, message.created_at)
            if ticket.status not in SOLVED:
                clocks.start(Metric.PERIODIC_UPDATE, message.created_at)
        elif (
            Metric.NEXT_REPLY in clocks.targets
            and Metric.NEXT_REPLY not in clocks.open
            and _agent_replied_before(ticket, message.created_at, message.pk)
        ):
            clocks.start(Metric.NEXT_REPLY, message.created_at)

    if status_event is not None:
        if ticket.status in SOLVED and old_status not in SOLVED:
            clocks.stop(Metric.RESOLUTION, now)
            for metric in list(clocks.open):
                clocks.cancel(metric, now)
        elif ticket.status not in SOLVED and old_status in SOLVED:
            clocks.start(Metric.RESOLUTION, now)
    clocks.settle_pauses(ticket.status)
    clocks.save(sla)


def _start_missing(clocks: Clocks, ticket: Ticket) -> None:
    """A policy that newly applies (a changed priority, group, tags...) counts its first reply
    and resolution targets from the request's creation, as if it had applied from the start,
    unless that clock already ran in this request's life."""
    wanted = [m for m in (Metric.FIRST_REPLY, Metric.RESOLUTION) if m in clocks.targets]
    wanted = [m for m in wanted if m not in clocks.open]
    if not wanted:
        return
    ran = set(
        SlaTimer.objects.filter(ticket_id=ticket.pk, metric__in=wanted).values_list(
            "metric", flat=True
        )
    )
    if Metric.RESOLUTION in wanted and Metric.RESOLUTION not in ran:
        clocks.start(Metric.RESOLUTION, ticket.created_at)
    if (
        Metric.FIRST_REPLY in wanted
        and Metric.FIRST_REPLY not in ran
        and not _agent_replied_before(ticket, clocks.now, None)
    ):
        clocks.start(Metric.FIRST_REPLY, ticket.created_at)


def on_ticket_changed(change: TicketChange) -> None:
    """The hooks receiver: nothing at all to do, and no query, without active policies."""
    if not policy_cache.active_policies():
        return
    apply_change(change)
