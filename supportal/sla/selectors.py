"""Reads for the SLA engine: the business hours a request's group works by, and compliance.

`schedule_for_group` answers from a copy of every schedule kept in this process
(supportal.core.copies.SharedCopy), built with a few queries and used until business hours
change. Every write in supportal.sla.hours_services calls `bump_hours_version()`: this process
drops its copy at once, and after the commit a new random token in the shared cache (Redis in
production) makes every other process rebuild at its next check, at most `recheck` seconds
later; between checks a read costs no query. The copy is also rebuilt when the year changes,
since yearly holidays are expanded for the years around the current one, and after `migrate`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from supportal.core.copies import SharedCopy
from supportal.lib import businesstime
from supportal.tickets.models import Group


@dataclass(frozen=True)
class _Hours:
    year: int
    default: businesstime.Schedule | None = None
    by_group: dict[int, businesstime.Schedule] = field(default_factory=dict)


def _build() -> _Hours:
    from supportal.sla.models import Schedule

    year = timezone.now().year
    default = None
    by_group: dict[int, businesstime.Schedule] = {}
    rows = Schedule.objects.prefetch_related("intervals", "holidays", "group_links")
    for row in rows:
        schedule = row.as_business(years=range(year - 1, year + 6))
        if schedule.validate():  # not usable: its groups count by the default
            continue
        if row.is_default:
            default = schedule
        for link in row.group_links.all():
            by_group[link.group_id] = schedule
    return _Hours(year=year, default=default, by_group=by_group)


_NONE = _Hours(year=0)
_HOURS = SharedCopy("sla:business-hours", _build, empty=_NONE)


def bump_hours_version() -> None:
    """Business hours changed (call inside or after the writing transaction): this process
    rebuilds at its next read, the others once the commit has put a new token in place."""
    _HOURS.changed()


def forget_hours(**kwargs: Any) -> None:
    """After `migrate` (or a test's database flush, which sends the same signal): rows may have
    changed without the services, so every process drops its copy."""
    _HOURS.forget()
    # On a first migrate the database cache's table may not exist yet; processes restart after
    # a deployment anyway, so a failure here loses nothing.
    with contextlib.suppress(Exception):
        caches[settings.SHARED_CACHE].delete(_HOURS.key)


def schedule_for_group(group_id: int | None) -> businesstime.Schedule | None:
    """The business hours of a request in group `group_id` (None: in no group): the group's
    schedule, else the default schedule, else None, meaning calendar time (open 24x7)."""
    hours = _HOURS.get()
    if hours is not _NONE and hours.year != timezone.now().year:
        _HOURS.forget()
        hours = _HOURS.get()
    if group_id is not None and group_id in hours.by_group:
        return hours.by_group[group_id]
    return hours.default


# --- Compliance (the SLA engine's record) -------------------------------------------------


@dataclass(frozen=True)
class Compliance:
    metric: str
    achieved: int
    breached: int

    @property
    def total(self) -> int:
        return self.achieved + self.breached

    @property
    def rate(self) -> float | None:
        """The share achieved, 0-1; None when nothing was measured."""
        return self.achieved / self.total if self.total else None


def compliance(since: datetime, until: datetime, group: Group | None = None) -> list[Compliance]:
    """Targets achieved and breached in [since, until), per metric (in Metric order): a clock
    counts as achieved when it stopped in time within the period, as breached when its due time
    passed within the period (stopped late, or still running). Cancelled clocks (a policy that
    no longer applied, a request solved before its first reply) count for neither. One query."""
    from django.db.models import Count, Q

    from supportal.sla.models import Metric, SlaTimer

    state = SlaTimer.State
    stopped = Q(stopped_at__gte=since, stopped_at__lt=until)
    breached = Q(breached_at__gte=since, breached_at__lt=until) & Q(
        state__in=(state.BREACHED, state.RUNNING, state.PAUSED)
    )
    timers = SlaTimer.objects.filter(stopped | breached)
    if group is not None:
        timers = timers.filter(ticket__group=group)
    rows = {
        row["metric"]: row
        for row in timers.values("metric").annotate(
            achieved=Count("pk", filter=stopped & Q(state=state.ACHIEVED)),
            breached=Count("pk", filter=breached),
        )
    }
    return [
        Compliance(
            metric,
            rows.get(metric, {}).get("achieved", 0),
            rows.get(metric, {}).get("breached", 0),
        )
        for metric in Metric.values
    ]
