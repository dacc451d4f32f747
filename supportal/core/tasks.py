from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from supportal.core.mail import delivery_configured, smtp_send
from supportal.core.models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@db_task()
def deliver_email(pk: int) -> None:
    """Sends one outbox message. Safe to run twice: only one run claims a pending row."""
    claimed = OutboundEmail.objects.filter(pk=pk, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.SENDING, claimed_at=timezone.now()
    )
    if not claimed:
        return
    row = OutboundEmail.objects.get(pk=pk)
    if not delivery_configured():
        OutboundEmail.objects.filter(pk=pk).update(status=OutboundEmail.Status.HELD)
        return
    try:
        smtp_send(row)
    except Exception as error:  # any transport failure is recorded and retried later
        attempts = row.attempts + 1
        logger.warning("email %s delivery failed (attempt %s): %s", pk, attempts, error)
        OutboundEmail.objects.filter(pk=pk).update(
            status=OutboundEmail.Status.FAILED
            if attempts >= MAX_ATTEMPTS
            else OutboundEmail.Status.PENDING,
            attempts=attempts,
            last_error=str(error)[:2000],
        )
        return
    OutboundEmail.objects.filter(pk=pk).update(
        status=OutboundEmail.Status.SENT,
        attempts=row.attempts + 1,
        sent_at=timezone.now(),
        last_error="",
    )


@db_periodic_task(crontab(minute="*"))
def retry_outbox() -> None:
    """Re-sends pending mail (after failures or a worker killed mid-send) once a minute."""
    stale = timezone.now() - timedelta(minutes=10)
    OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, claimed_at__lt=stale).update(
        status=OutboundEmail.Status.PENDING
    )
    for pk in OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).values_list(
        "pk", flat=True
    )[:500]:
        deliver_email(pk)


def refresh_sqlite_statistics() -> None:
    """Planner statistics for SQLite (PostgreSQL's autovacuum keeps its own). Without them
    SQLite guessed worse plans for some inbox lists at a million requests (0.15 s against
    0.04 s); analysis_limit keeps it to a sample, a few seconds on a large database."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")


@db_periodic_task(crontab(hour="3", minute="17"))
def refresh_statistics() -> None:
    refresh_sqlite_statistics()


@db_periodic_task(crontab(minute="*/5"))
def prune_page_changes() -> None:
    """The personal page cache's change log keeps 15 minutes (core/personalcache.py)."""
    from supportal.core.personalcache import prune_changes

    prune_changes()
