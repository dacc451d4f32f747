"""gunicorn hooks for `supportal serve` (`--config python:supportal.monitoring.gunicorn_config`):
each worker's heartbeat and warm-up, and the metrics files of workers that exit. Imports no
Django at load: the master process reads this before any worker loads the application."""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    from supportal.lib import textanalysis
    from supportal.monitoring import heartbeat
    from supportal.monitoring.models import ProcessHeartbeat

    # The Korean analyser loads before this worker takes its first request, not during it;
    # a heartbeat means a worker ready to serve.
    textanalysis.warm()
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
