"""The periodic tasks (huey schedules) and when each should last have run, for the status page.

huey keeps a schedule as a function that says whether a given minute is due (crontab), so the
last due minute is found by walking back minute by minute; the walk is remembered per process,
so later pages only walk the minutes since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock

from huey.api import PeriodicTask

from supportal.monitoring.tasks import task_label

# Far enough back for weekly schedules; nothing of ours runs less often.
LOOK_BACK = timedelta(days=8)
MINUTE = timedelta(minutes=1)

_lock = Lock()
# label -> (the last two due minutes found, the minute the walk went up to)
_walked: dict[str, tuple[list[datetime], datetime]] = {}


@dataclass(frozen=True)
class Schedule:
    name: str
    last_due: datetime | None  # aware, UTC
    interval: timedelta | None  # between the last two due minutes


def periodic_tasks() -> list[PeriodicTask]:
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")  # as `run_huey` does; imported once per process
    return list(HUEY._registry.periodic_tasks)


def _due(task: PeriodicTask, minute: datetime) -> bool:
    return bool(task.validate_datetime(minute))


def schedules(now: datetime) -> list[Schedule]:
    """Every periodic task with its last due minute at or before `now`."""
    # huey runs with utc=True: its schedules read naive UTC minutes.
    current = now.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
    found = []
    for task in periodic_tasks():
        label = task_label(task)
        with _lock:
            dues, walked_to = _walked.get(label, ([], current - LOOK_BACK))
            if walked_to > current:  # the clock went back (tests travel in time): walk anew
                dues, walked_to = [], current - LOOK_BACK
            if walked_to < current:
                fresh: list[datetime] = []
                minute = current
                while minute > walked_to and len(fresh) < 2:
                    if _due(task, minute):
                        fresh.append(minute)
                    minute -= MINUTE
                dues = (fresh + dues)[:2]
                _walked[label] = (dues, current)
        last = dues[0].replace(tzinfo=UTC) if dues else None
        interval = dues[0] - dues[1] if len(dues) == 2 else None
        found.append(Schedule(name=label, last_due=last, interval=interval))
    return sorted(found, key=lambda schedule: schedule.name)
