"""What the admins' status page shows: processes, queue, outbox, schedules, database, caches and
disk, each checked now, and the problems among them in words."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportal.core.mail import delivery_configured
from supportal.monitoring import collectors, schedules
from supportal.monitoring.heartbeat import HEARTBEAT_SECONDS, identity
from supportal.monitoring.models import PeriodicRun, ProcessHeartbeat

# A process that missed three beats is not running (or not answering).
SILENT_AFTER = timedelta(seconds=HEARTBEAT_SECONDS * 3)
# Processes shown: those seen within this time.
SHOWN_FOR = timedelta(days=1)
# A schedule is late when it has not started this long after its due minute (the scheduler
# enqueues on the minute; the run may wait behind other tasks).
LATE_AFTER = timedelta(minutes=5)
QUEUE_BACKLOG = 500
OUTBOX_WAIT = timedelta(minutes=15)
DISK_FREE_BYTES = 1024**3
DISK_FREE_SHARE = 0.05
# An IMAP address not checked successfully for this long (or three of its intervals) is said.
MAILBOX_LAG = timedelta(minutes=10)


@dataclass(frozen=True)
class Process:
    kind: str
    kind_label: str
    host: str
    pid: int
    started_at: datetime | None
    last_seen_at: datetime | None
    state: str  # running, stopped, silent, this


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str
    milliseconds: float


@dataclass(frozen=True)
class ScheduleRow:
    name: str
    every: str
    last_due: datetime | None
    last_started_at: datetime | None
    last_succeeded_at: datetime | None
    last_failed_at: datetime | None
    last_error: str
    late: bool
    failed: bool


@dataclass(frozen=True)
class Disk:
    path: str
    s3_bucket: str
    free: int = 0
    total: int = 0
    error: str = ""

    @property
    def free_share(self) -> float:
        return self.free / self.total if self.total else 0.0


@dataclass
class SiteStatus:
    checked_at: datetime
    problems: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    worker_up: bool = False
    queue_pending: int | None = None
    queue_scheduled: int | None = None
    queue_error: str = ""
    outbox: collectors.OutboxState | None = None
    outbox_oldest_age: timedelta | None = None
    schedules: list[ScheduleRow] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    disk: Disk | None = None


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _timed(check: Callable[[], None]) -> tuple[float, Exception | None]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # any failure is the answer the page shows
        return (time.perf_counter() - started) * 1000, error
    return (time.perf_counter() - started) * 1000, None


def every_in_words(interval: timedelta | None) -> str:
    if interval is None:
        return _("Rarely")
    minutes = int(interval.total_seconds() // 60)
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("Every day", "Every %(count)s days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("Every hour", "Every %(count)s hours", hours) % {"count": hours}
    return ngettext("Every minute", "Every %(count)s minutes", minutes) % {"count": minutes}


def _processes(status: SiteStatus, now: datetime) -> None:
    rows = list(ProcessHeartbeat.objects.filter(last_seen_at__gte=now - SHOWN_FOR))
    labels = dict(ProcessHeartbeat.Kind.choices)
    host, pid = identity()
    seen_here = False
    for row in rows:
        if row.stopped_at is not None:
            state = "stopped"
        elif now - row.last_seen_at > SILENT_AFTER:
            state = "silent"
        else:
            state = "running"
        seen_here = seen_here or (row.host, row.pid) == (host, pid)
        status.processes.append(
            Process(row.kind, labels[row.kind], row.host, row.pid, row.started_at,
                    row.last_seen_at, state)
        )  # fmt: skip
    if not seen_here:
        # This page was answered by a web process without a heartbeat (`runserver`, or one
        # that has just started): it is up, whatever the table says.
        status.processes.append(Process("web", labels["web"], host, pid, None, now, "this"))
    status.processes.sort(key=lambda p: (p.kind, p.state != "running", p.host, p.pid))
    workers = [row for row in rows if row.kind == ProcessHeartbeat.Kind.WORKER]
    status.worker_up = any(
        row.stopped_at is None and now - row.last_seen_at <= SILENT_AFTER for row in workers
    )
    if status.worker_up:
        return
    if not workers:
        last_seen = (
            ProcessHeartbeat.objects.filter(kind=ProcessHeartbeat.Kind.WORKER)
            .order_by("-last_seen_at")
            .values_list("last_seen_at", flat=True)
            .first()
        )
    else:
        last_seen = max(row.last_seen_at for row in workers)
    if last_seen is None:
        status.problems.append(
            _(
                "No task worker has been seen: emails and scheduled tasks are not running. "
                "Start one with “supportal run_huey” (“supportal serve” starts one too)."
            )
        )
    else:
        status.problems.append(
            _(
                "The worker has not been seen for %(duration)s: emails and scheduled tasks are "
                "not running."
            )
            % {"duration": timesince(last_seen, now, depth=1)}
        )


def _queue(status: SiteStatus) -> None:
    started = time.perf_counter()
    try:
        status.queue_pending, status.queue_scheduled = collectors.queue_depth()
    except Exception as error:
        status.queue_error = _error(error)
        status.problems.append(
            _("The task queue cannot be reached: %(error)s") % {"error": status.queue_error}
        )
        return
    milliseconds = (time.perf_counter() - started) * 1000
    status.checks.append(Check(_("Task queue"), True, "", milliseconds))
    if status.queue_pending > QUEUE_BACKLOG:
        status.problems.append(
            ngettext(
                "%(count)s task is waiting in the queue: the worker is not keeping up.",
                "%(count)s tasks are waiting in the queue: the worker is not keeping up.",
                status.queue_pending,
            )
            % {"count": status.queue_pending}
        )


def _outbox(status: SiteStatus, now: datetime) -> None:
    state = collectors.outbox_state()
    status.outbox = state
    if state.oldest_pending is not None:
        status.outbox_oldest_age = now - state.oldest_pending
    if not delivery_configured():
        status.problems.append(
            _("No mail server is configured: emails are kept in the Outbox instead of being sent.")
        )
    if state.failed:
        status.problems.append(
            ngettext(
                "%(count)s email could not be delivered and will not be tried again: see the "
                "Outbox.",
                "%(count)s emails could not be delivered and will not be tried again: see the "
                "Outbox.",
                state.failed,
            )
            % {"count": state.failed}
        )
    if status.outbox_oldest_age is not None and status.outbox_oldest_age > OUTBOX_WAIT:
        status.problems.append(
            _("The oldest email waiting to be sent has waited %(duration)s.")
            % {"duration": timesince(state.oldest_pending, now, depth=1)}
        )


def _schedules(status: SiteStatus, now: datetime) -> None:
    runs = {run.name: run for run in PeriodicRun.objects.all()}
    workers_since = min(
        (p.started_at for p in status.processes if p.kind == "worker" and p.state == "running"
         and p.started_at is not None),
        default=None,
    )  # fmt: skip
    # The last due minute that should have started by now; one due since is not late yet.
    for schedule in schedules.schedules(now - LATE_AFTER):
        run = runs.get(schedule.name)
        started = run.last_started_at if run else None
        expected = schedule.last_due
        if expected is None:
            late = False
        elif started is None:
            # Never run: late only if a worker has been up since before it was due.
            late = workers_since is not None and workers_since < expected
        else:
            late = started < expected
        failed = bool(
            run
            and run.last_failed_at
            and (run.last_succeeded_at is None or run.last_failed_at > run.last_succeeded_at)
        )
        row = ScheduleRow(
            name=schedule.name,
            every=every_in_words(schedule.interval),
            last_due=schedule.last_due,
            last_started_at=started,
            last_succeeded_at=run.last_succeeded_at if run else None,
            last_failed_at=run.last_failed_at if run else None,
            last_error=run.last_error if run else "",
            late=late,
            failed=failed,
        )
        status.schedules.append(row)
        if not status.worker_up:
            continue  # the worker's absence is the one problem worth saying
        if late and started is not None:
            status.problems.append(
                _("The scheduled task “%(name)s” is late: it last ran %(duration)s ago.")
                % {"name": row.name, "duration": timesince(started, now, depth=1)}
            )
        elif late:
            status.problems.append(
                _("The scheduled task “%(name)s” is late: it has not run yet.") % {"name": row.name}
            )
        if failed:
            status.problems.append(
                _("The last run of the scheduled task “%(name)s” failed: %(error)s")
                % {"name": row.name, "error": row.last_error[:300]}
            )


def _database(status: SiteStatus) -> None:
    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    milliseconds, error = _timed(select_one)
    label = _("Database (%(vendor)s)") % {"vendor": connection.vendor}
    status.checks.append(Check(label, error is None, _error(error) if error else "", milliseconds))
    if error is not None:
        status.problems.append(
            _("The database cannot be reached: %(error)s") % {"error": _error(error)}
        )


def _caches(status: SiteStatus) -> None:
    for alias, config in settings.CACHES.items():
        backend = config["BACKEND"].rsplit(".", 1)[-1]
        cache = caches[alias]

        def round_trip(cache=cache) -> None:  # type: ignore[no-untyped-def]
            cache.set("monitoring:status", "1", 10)
            if cache.get("monitoring:status") != "1":
                raise ValueError(_("a value written was not read back"))

        milliseconds, error = _timed(round_trip)
        label = _("Cache “%(alias)s” (%(backend)s)") % {"alias": alias, "backend": backend}
        detail = _error(error) if error else ""
        status.checks.append(Check(label, error is None, detail, milliseconds))
        if error is not None:
            status.problems.append(
                _("The cache “%(alias)s” cannot be used: %(error)s")
                % {"alias": alias, "error": detail}
            )


def _disk(status: SiteStatus) -> None:
    if settings.S3_BUCKET:
        status.disk = Disk(path="", s3_bucket=settings.S3_BUCKET)
        return
    path = Path(settings.MEDIA_ROOT)
    while not path.exists() and path != path.parent:
        path = path.parent  # not made yet: the disk it will be made on
    try:
        usage = shutil.disk_usage(path)
    except OSError as error:
        status.disk = Disk(path=str(settings.MEDIA_ROOT), s3_bucket="", error=_error(error))
        status.problems.append(
            _("The folder for uploads cannot be read: %(error)s") % {"error": status.disk.error}
        )
        return
    status.disk = Disk(
        path=str(settings.MEDIA_ROOT), s3_bucket="", free=usage.free, total=usage.total
    )
    if usage.free < DISK_FREE_BYTES or status.disk.free_share < DISK_FREE_SHARE:
        status.problems.append(
            _("Only %(free)s is free on the disk where uploads are stored (%(path)s).")
            % {"free": filesizeformat(usage.free), "path": settings.MEDIA_ROOT}
        )


def _mailboxes(status: SiteStatus) -> None:
    if not status.worker_up:
        return  # nothing polls without the worker; already said
    for mailbox in collectors.mailbox_lag():
        allowed = max(MAILBOX_LAG, timedelta(minutes=3 * mailbox.poll_minutes))
        if mailbox.seconds > allowed.total_seconds():
            since = status.checked_at - timedelta(seconds=mailbox.seconds)
            status.problems.append(
                _(
                    "The support address %(address)s has not been checked successfully for "
                    "%(duration)s."
                )
                % {
                    "address": mailbox.address,
                    "duration": timesince(since, status.checked_at, depth=1),
                }
            )


def _semantic(status: SiteStatus) -> None:
    from supportal.semantic import embedding

    choice = settings.SEMANTIC_MODEL
    if choice in ("", "none") or embedding.backend() is not None:
        return
    status.problems.append(
        _(
            "The embedding model (%(model)s) did not load, so search and suggestions match "
            "words only. The server log says why."
        )
        % {"model": choice}
    )


def site_status(now: datetime | None = None) -> SiteStatus:
    now = now or timezone.now()
    status = SiteStatus(checked_at=now)
    _processes(status, now)
    _database(status)
    _caches(status)
    _queue(status)
    _outbox(status, now)
    _schedules(status, now)
    _mailboxes(status)
    _disk(status)
    _semantic(status)
    return status
