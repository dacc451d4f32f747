"""Recording beacons and pruning what has grown old.

A beacon is added to the counts with upserts (INSERT ... ON CONFLICT DO UPDATE count = count + n,
on SQLite and PostgreSQL alike), so concurrent beacons never lose a count and the tables grow
with the number of page types, not of page views.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from supportal.core.sql import quoted_table
from supportal.rum.beacons import Beacon, ReportedError
from supportal.rum.metrics import METRICS, bucket_of
from supportal.rum.models import BrowserError, BrowserErrorPage, TimingBucket

# The summary reads a week; a month is kept so that a week can be compared with earlier ones.
KEEP_DAYS = 31


def page_types() -> frozenset[str]:
    """Every named route ("helpcenter:article"): what base.html writes as the page type."""
    return _route_names(get_resolver())


@lru_cache(maxsize=4)  # one per URL configuration (tests may swap it)
def _route_names(resolver: URLResolver) -> frozenset[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(resolver.url_patterns, "")
    return frozenset(names)


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def _count_timings(beacon: Beacon, day: dt.date) -> None:
    rows = [
        (day, beacon.page_type, key, bucket_of(METRICS[key].units(value)))
        for key, value in beacon.metrics.items()
    ]
    if not rows:
        return
    table = quoted_table(TimingBucket)
    values = ", ".join(["(%s, %s, %s, %s, 1)"] * len(rows))
    params: list[Any] = []
    for row_day, page_type, metric, bucket in rows:
        params += [connection.ops.adapt_datefield_value(row_day), page_type, metric, bucket]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, page_type, metric, bucket, count) VALUES {values} "  # noqa: S608
            "ON CONFLICT (day, page_type, metric, bucket) "
            f"DO UPDATE SET count = {table}.count + excluded.count",
            params,
        )


def _count_error(error: ReportedError, now: dt.datetime) -> int:
    key = "\x00".join((error.message, error.source, str(error.line)))
    fingerprint = hashlib.sha256(key.encode()).hexdigest()
    table = quoted_table(BrowserError)
    # "column" is a reserved word in PostgreSQL.
    names = ", ".join(
        connection.ops.quote_name(name)
        for name in ("fingerprint", "message", "source", "line", "column", "count")
    )
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, first_seen, last_seen) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, 1, %s, %s) "
            f"ON CONFLICT (fingerprint) DO UPDATE SET count = {table}.count + 1, "
            "last_seen = excluded.last_seen RETURNING id",
            [fingerprint, error.message, error.source, error.line, error.column, moment, moment],
        )
        (error_id,) = cursor.fetchone()
    return int(error_id)


@transaction.atomic
def beacon_record(*, beacon: Beacon, now: dt.datetime | None = None) -> None:
    """Adds one page view's timings and errors to the counts."""
    now = now or timezone.now()
    _count_timings(beacon, now.astimezone(dt.UTC).date())
    seen = {_count_error(error, now) for error in beacon.errors}
    if seen:
        BrowserErrorPage.objects.bulk_create(
            [BrowserErrorPage(error_id=pk, page_type=beacon.page_type) for pk in seen],
            ignore_conflicts=True,
        )


def rum_prune(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Deletes the counts of days older than KEEP_DAYS and the errors not seen since then.
    Returns (buckets, errors) deleted."""
    now = now or timezone.now()
    cutoff = now.astimezone(dt.UTC).date() - dt.timedelta(days=KEEP_DAYS)
    buckets, _detail = TimingBucket.objects.filter(day__lt=cutoff).delete()
    errors = BrowserError.objects.filter(last_seen__lt=now - dt.timedelta(days=KEEP_DAYS))
    _total, by_model = errors.delete()
    return buckets, by_model.get(BrowserError._meta.label, 0)
