"""How agents see a request's service level: durations as words ("2 h 15 m"), the next target
as text with a state ("soon", "overdue", "paused") that the templates colour, never colour alone.

`format_duration` is pure (gettext only); the rest reads rows already loaded: the inbox's
`ticket.sla` (select_related) and a request's timers (one query, `ticket_clocks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from supportal.sla.models import Metric, SlaPolicy, SlaTimer, TicketSla

DEFAULT_WARN_MINUTES = 60

SHORT_METRICS = {
    Metric.FIRST_REPLY: pgettext_lazy("sla metric", "First reply"),
    Metric.NEXT_REPLY: pgettext_lazy("sla metric", "Next reply"),
    Metric.PERIODIC_UPDATE: pgettext_lazy("sla metric", "Update"),
    Metric.RESOLUTION: pgettext_lazy("sla metric", "Resolution"),
}


def metric_label(metric: str) -> str:
    label = SHORT_METRICS.get(metric)  # type: ignore[call-overload]
    return str(label) if label is not None else metric


def format_duration(seconds: float) -> str:
    """A duration in the two largest units, rounded down to the minute: "2 h 15 m", "1 d 3 h",
    "45 m", and "under a minute"; in the active language."""
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d d", "%(count)d d", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours})
    if minutes and not days:
        parts.append(ngettext("%(count)d m", "%(count)d m", minutes) % {"count": minutes})
    if len(parts) == 1:
        return parts[0]
    # Korean separates the units with a space; Japanese and Chinese write them together.
    return pgettext("duration", "%(larger)s %(smaller)s") % {
        "larger": parts[0],
        "smaller": parts[1],
    }


@dataclass(frozen=True)
class Clock:
    """One clock as shown: `state` is ok, soon, overdue, paused, achieved or breached."""

    metric: str
    state: str
    due_at: datetime | None = None
    seconds: float | None = None  # left (ok, soon), over (overdue), left when paused
    stopped_at: datetime | None = None
    policy_name: str = ""

    @property
    def label(self) -> str:
        return metric_label(self.metric)

    @property
    def running(self) -> bool:
        return self.state in ("ok", "soon", "overdue", "paused")

    @property
    def text(self) -> str:
        """The clock in words, without the metric."""
        if self.state == "paused":
            if self.seconds is not None:
                return _("Paused, %(duration)s left") % {"duration": format_duration(self.seconds)}
            return _("Paused")
        if self.state == "overdue":
            return _("Overdue by %(duration)s") % {"duration": format_duration(self.seconds or 0)}
        if self.state == "soon":
            return _("Due soon, in %(duration)s") % {"duration": format_duration(self.seconds or 0)}
        if self.state == "ok":
            return _("%(duration)s left") % {"duration": format_duration(self.seconds or 0)}
        if self.state == "achieved":
            return _("Achieved")
        if self.state == "breached":
            return _("Breached")
        return _("No longer applies")

    @property
    def summary(self) -> str:
        """ "First reply: 2 h 15 m left"."""
        return _("%(metric)s: %(state)s") % {"metric": self.label, "state": self.text}


def running_state(due_at: datetime, now: datetime, warn_minutes: int) -> tuple[str, float]:
    left = (due_at - now).total_seconds()
    if left < 0:
        return "overdue", -left
    if left <= warn_minutes * 60:
        return "soon", left
    return "ok", left


def _warn_minutes(policy: SlaPolicy | None) -> int:
    return policy.warn_minutes if policy is not None else DEFAULT_WARN_MINUTES


def ticket_sla_of(ticket: Any) -> TicketSla | None:
    """The request's TicketSla when loaded (select_related), else None; never a query when
    the inbox joined it."""
    try:
        return ticket.sla
    except ObjectDoesNotExist:
        return None


def next_clock(ticket: Any, now: datetime | None = None) -> Clock | None:
    """The request's next target from its TicketSla, or None when no clock is running."""
    sla = ticket_sla_of(ticket)
    if sla is None or not sla.next_metric:
        return None
    now = now or timezone.now()
    if sla.next_due_at is None:
        # A metric with no due time: its clocks are paused (see the engine).
        return Clock(metric=sla.next_metric, state="paused")
    state, seconds = running_state(sla.next_due_at, now, _warn_minutes(sla.policy))
    return Clock(metric=sla.next_metric, state=state, due_at=sla.next_due_at, seconds=seconds)


def timer_clock(timer: SlaTimer, now: datetime) -> Clock:
    policy_name = timer.policy.name if timer.policy is not None else ""
    common = {"metric": timer.metric, "policy_name": policy_name}
    if timer.state == SlaTimer.State.RUNNING and timer.due_at is not None:
        state, seconds = running_state(timer.due_at, now, _warn_minutes(timer.policy))
        return Clock(state=state, due_at=timer.due_at, seconds=seconds, **common)
    if timer.state in (SlaTimer.State.RUNNING, SlaTimer.State.PAUSED):
        return Clock(state="paused", seconds=timer.seconds_left, **common)
    return Clock(state=str(timer.state), due_at=timer.due_at, stopped_at=timer.stopped_at, **common)


@dataclass(frozen=True)
class TicketClocks:
    policy_name: str
    running: list[Clock]
    stopped: list[Clock]

    @property
    def signature(self) -> str:
        """What a screen reader is told about when it changes: each running clock's state."""
        return ".".join(f"{clock.metric}-{clock.state}" for clock in self.running)

    @property
    def worst(self) -> Clock | None:
        order = {"overdue": 0, "soon": 1, "ok": 2, "paused": 3}
        return min(self.running, key=lambda c: order.get(c.state, 9), default=None)


STOPPED_SHOWN = 10


def ticket_clocks(ticket: Any, now: datetime | None = None) -> TicketClocks:
    """All of a request's clocks (one query): running and paused ones first by due time, then
    the latest stopped ones (achieved, breached)."""
    now = now or timezone.now()
    timers = list(
        SlaTimer.objects.filter(ticket=ticket)
        .exclude(state=SlaTimer.State.CANCELLED)
        .select_related("policy")
        .order_by("-started_at", "-pk")
    )
    live = (SlaTimer.State.RUNNING, SlaTimer.State.PAUSED)
    running = [timer_clock(t, now) for t in timers if t.state in live]
    far = now + timedelta(days=36500)
    running.sort(key=lambda c: (c.due_at or far, c.metric))
    stopped = [timer_clock(t, now) for t in timers if t.state not in live][:STOPPED_SHOWN]
    policy = next((t.policy for t in timers if t.state in live and t.policy), None)
    if policy is None:
        policy = next((t.policy for t in timers if t.policy), None)
    return TicketClocks(policy.name if policy else "", running, stopped)
