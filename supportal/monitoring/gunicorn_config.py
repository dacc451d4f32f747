"""gunicorn hooks for `supportal serve` (`--config python:supportal.monitoring.gunicorn_config`):
each worker's heartbeat, and the metrics files of workers that exit. Imports no Django at load:
the master process reads this before any worker loads the application."""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    from supportal.monitoring import heartbeat
    from supportal.monitoring.models import ProcessHeartbeat

    heartbeat.start(ProcessHeartbeat.Kind.WEB)


def worker_exit(server: Any, worker: Any) -> None:
    from supportal.monitoring import heartbeat

    heartbeat.stop()


def child_exit(server: Any, worker: Any) -> None:
    # Runs in the master. Live gauges of a dead worker must not be added up any longer; its
    # counters stay, so totals never go down when a worker is replaced.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
