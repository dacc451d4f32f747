"""The worker's help-center work: content gaps, every hour."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from supportal.helpcenter import gaps


@db_task()
@lock_task("helpcenter-content-gaps")
def refresh_content_gaps() -> None:
    gaps.refresh()


@db_periodic_task(crontab(minute="23"))
def refresh_content_gaps_hourly() -> None:
    refresh_content_gaps()
