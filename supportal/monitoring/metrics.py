"""Prometheus metrics: what every process counts, and what is read at scrape time.

Counters and histograms live in prometheus-client's registry of this process, or, when
PROMETHEUS_MULTIPROC_DIR is set (`supportal serve` sets it for gunicorn and the huey worker), in
memory-mapped files in that folder, one per process, which the scrape adds up. Gauges that
describe the whole site (queue depth, outbox) are not counted by any process: they are read
when /metrics is scraped, by the collectors registered here.

This module imports no Django models at import time, so a plain subprocess can write metrics
(the multiprocess test does).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# This process's own registry (not prometheus-client's global one, whose process and platform
# collectors describe one process only and mean nothing in multiprocess mode).
PROCESS_REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "supportal_http_requests",
    "HTTP requests by route (URL pattern name), method and status.",
    ["route", "method", "status"],
    registry=PROCESS_REGISTRY,
)
LATENCY = Histogram(
    "supportal_http_request_duration_seconds",
    "Time to answer a request, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=PROCESS_REGISTRY,
)
QUERIES = Histogram(
    "supportal_http_request_db_queries",
    "Database queries made while answering one request.",
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
    registry=PROCESS_REGISTRY,
)
# Per route as plain sums: queries per request of a route is the ratio of two rates, and a
# histogram per route would multiply the series by the buckets.
ROUTE_QUERIES = Counter(
    "supportal_http_db_queries",
    "Database queries made by requests, by route.",
    ["route"],
    registry=PROCESS_REGISTRY,
)
ROUTE_DB_SECONDS = Counter(
    "supportal_http_db_seconds",
    "Time spent in the database by requests, by route.",
    ["route"],
    registry=PROCESS_REGISTRY,
)
PAGE_CACHE = Counter(
    "supportal_page_cache_requests",
    "Page cache lookups (X-Page-Cache header), by result (personal: a customer's own copy).",
    ["result"],
    registry=PROCESS_REGISTRY,
)
TASKS_DONE = Counter(
    "supportal_tasks_completed",
    "Background tasks that finished without an error, by task.",
    ["task"],
    registry=PROCESS_REGISTRY,
)
TASK_FAILURES = Counter(
    "supportal_task_failures",
    "Background tasks that raised an error, by task.",
    ["task"],
    registry=PROCESS_REGISTRY,
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PAGE_CACHE_RESULTS = frozenset({"hit", "miss", "personal"})


# Label children by their labels: prometheus-client's labels() validates and locks on each call,
# several microseconds apiece; a dict lookup is a tenth of one. Bounded like the labels are.
_request_children: dict[tuple[str, str, int], Any] = {}
_route_children: dict[str, tuple[Any, Any, Any]] = {}


def observe_request(
    *,
    route: str,
    method: str,
    status: int,
    seconds: float,
    queries: int,
    db_seconds: float,
    page_cache: str | None = None,
) -> None:
    """Counts one answered request. Labels are bounded: the route is a URL pattern's name, never
    the path, and an unusual method is "other"."""
    key = (route, method, status)
    counter = _request_children.get(key)
    if counter is None:
        label = method if method in _METHODS else "other"
        counter = _request_children[key] = REQUESTS.labels(route, label, str(status))
    counter.inc()
    children = _route_children.get(route)
    if children is None:
        children = _route_children[route] = (
            LATENCY.labels(route),
            ROUTE_QUERIES.labels(route),
            ROUTE_DB_SECONDS.labels(route),
        )
    latency, route_queries, route_db_seconds = children
    latency.observe(seconds)
    QUERIES.observe(queries)
    if queries:
        route_queries.inc(queries)
        route_db_seconds.inc(db_seconds)
    if page_cache in _PAGE_CACHE_RESULTS:
        PAGE_CACHE.labels(page_cache).inc()


def task_finished(task_name: str, *, failed: bool) -> None:
    (TASK_FAILURES if failed else TASKS_DONE).labels(task_name).inc()


# --- Read at scrape time -----------------------------------------------------------------------

ScrapeCollector = Callable[[], Iterable[Metric]]
_scrape_collectors: dict[str, ScrapeCollector] = {}


def register_collector(name: str, collect: ScrapeCollector) -> None:
    """The hook for areas and channels (mailbox lag, chat connections, ...): `collect` is called
    at each scrape and yields metric families (prometheus_client.core.GaugeMetricFamily, ...).
    It should cost a few indexed queries at most. Registering a name again replaces it."""
    _scrape_collectors[name] = collect


def scrape_collectors() -> dict[str, ScrapeCollector]:
    return dict(_scrape_collectors)


class _ScrapeTime(Collector):
    """Runs every registered collector; one that fails is left out of this scrape (and counted)
    instead of failing the whole scrape."""

    def collect(self) -> Iterable[Metric]:
        failed = GaugeMetricFamily(
            "supportal_scrape_collector_failed",
            "1 when a scrape-time collector failed during this scrape.",
            labels=["collector"],
        )
        for name, collect in sorted(_scrape_collectors.items()):
            try:
                families = list(collect())
            except Exception:
                logger.warning("metrics collector %s failed", name, exc_info=True)
                failed.add_metric([name], 1)
                continue
            failed.add_metric([name], 0)
            yield from families
        yield failed


class _Registered(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def multiproc_dir() -> str:
    return os.environ.get(MULTIPROC_ENV, "")


def exposition() -> bytes:
    """The text Prometheus scrapes: every process's counts (added up from the multiprocess
    folder, or this process's own without one) and the scrape-time gauges."""
    registry = CollectorRegistry()
    path = multiproc_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_Registered(PROCESS_REGISTRY))
    registry.register(_ScrapeTime())
    return generate_latest(registry)


def reset_multiproc_dir(path: Path) -> None:
    """Makes the multiprocess folder and empties it of a previous run's files (only ours:
    prometheus-client's `*.db` files, in case it names a folder that holds anything else)."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink(missing_ok=True)
