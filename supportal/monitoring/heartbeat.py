"""Process heartbeats: each web and worker process writes a row every HEARTBEAT_SECONDS from a
thread of its own, so that the status page can say which processes are up. Requests never
write one (no query per request), and an idle site still shows its processes alive."""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from supportal.monitoring.models import ProcessHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
# Rows of processes gone for longer than this are deleted by the next process that beats.
FORGET_AFTER = timedelta(days=1)

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()
_started_at = timezone.now()
_started_pid = os.getpid()


def identity() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def beat(kind: str) -> None:
    """Says that this process is alive now (one upsert)."""
    global _started_at, _started_pid
    host, pid = identity()
    if pid != _started_pid:  # a forked child: its own start time
        _started_at, _started_pid = timezone.now(), pid
    ProcessHeartbeat.objects.bulk_create(
        [
            ProcessHeartbeat(
                kind=kind,
                host=host,
                pid=pid,
                started_at=_started_at,
                last_seen_at=timezone.now(),
                stopped_at=None,
            )
        ],
        update_conflicts=True,
        unique_fields=["host", "pid"],
        update_fields=["kind", "started_at", "last_seen_at", "stopped_at"],
    )


def forget_old() -> None:
    ProcessHeartbeat.objects.filter(last_seen_at__lt=timezone.now() - FORGET_AFTER).delete()


def _run(kind: str) -> None:
    failing = False
    beats = 0
    while True:
        try:
            beat(kind)
            if beats % 120 == 0:  # at start, then about once an hour
                forget_old()
            if failing:
                logger.info("heartbeat written again")
            failing = False
        except Exception:
            # Once per outage, not every 30 seconds: the database being away is logged elsewhere.
            if not failing:
                logger.warning("heartbeat could not be written", exc_info=True)
            failing = True
        finally:
            connections.close_all()  # this thread's connections only
        beats += 1
        if _stop.wait(HEARTBEAT_SECONDS):
            return


def start(kind: str) -> None:
    """Starts this process's heartbeat thread (once; later calls do nothing)."""
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        if _thread is None:
            # huey's consumer stopped by SIGTERM runs no shutdown hook, but exits normally.
            atexit.register(stop)
        _stop.clear()
        _thread = threading.Thread(target=_run, args=(kind,), name="heartbeat", daemon=True)
        _thread.start()


def stop() -> None:
    """Stops the thread and marks this process stopped (a clean exit, not a crash)."""
    global _thread
    _stop.set()
    with _lock:
        thread, _thread = _thread, None
    if thread is not None:
        thread.join(timeout=5)
    host, pid = identity()
    try:
        ProcessHeartbeat.objects.filter(host=host, pid=pid).update(stopped_at=timezone.now())
    except Exception:
        logger.warning("could not mark this process stopped", exc_info=True)
