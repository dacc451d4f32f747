"""The worker side of monitoring: huey signals count task outcomes for /metrics, record the
last run of every periodic task, and start the worker's heartbeat."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from huey import signals
from huey.api import PeriodicTask, Task
from huey.contrib.djhuey import HUEY

from supportal.monitoring import heartbeat, metrics
from supportal.monitoring.models import PeriodicRun, ProcessHeartbeat

logger = logging.getLogger(__name__)

# Periodic runs are recorded by the worker only. With tasks run in-process (immediate mode: the
# tests) a periodic task called by hand is not a schedule's run, and the write would change the
# query counts of the code that called it; tests that check the recording turn this on.
RECORD_IN_IMMEDIATE_MODE = False


def task_label(task: Task) -> str:
    """ "core.retry_outbox" for supportal/core/tasks.py's retry_outbox: short and bounded."""
    module = type(task).__module__.removeprefix("supportal.").removesuffix(".tasks")
    return f"{module}.{task.name}"


def _recording() -> bool:
    return RECORD_IN_IMMEDIATE_MODE or not HUEY.immediate


def on_task_signal(signal: str, task: Task, exc: BaseException | None = None, **_: Any) -> None:
    label = task_label(task)
    if signal == signals.SIGNAL_ERROR:
        metrics.task_finished(label, failed=True)
    elif signal == signals.SIGNAL_COMPLETE:
        metrics.task_finished(label, failed=False)
    if isinstance(task, PeriodicTask) and _recording():
        record_periodic_run(label, signal, exc)


def record_periodic_run(name: str, signal: str, exc: BaseException | None = None) -> None:
    now = timezone.now()
    if signal == signals.SIGNAL_EXECUTING:
        PeriodicRun.objects.bulk_create(
            [PeriodicRun(name=name, last_started_at=now)],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["last_started_at"],
        )
    elif signal == signals.SIGNAL_COMPLETE:
        PeriodicRun.objects.filter(name=name).update(last_succeeded_at=now, last_error="")
    elif signal == signals.SIGNAL_ERROR:
        error = f"{type(exc).__name__}: {exc}" if exc is not None else ""
        PeriodicRun.objects.filter(name=name).update(last_failed_at=now, last_error=error[:2000])


def _worker_started() -> None:
    heartbeat.start(ProcessHeartbeat.Kind.WORKER)


def _worker_stopping() -> None:
    heartbeat.stop()


def connect_signals() -> None:
    HUEY.disconnect_signal(on_task_signal)
    HUEY.signal(signals.SIGNAL_EXECUTING, signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)(
        on_task_signal
    )
    # Called by each worker thread of the consumer (`supportal run_huey`), never in web
    # processes; heartbeat.start runs its thread once per process.
    HUEY.on_startup("monitoring_heartbeat")(_worker_started)
    HUEY.on_shutdown("monitoring_heartbeat")(_worker_stopping)
