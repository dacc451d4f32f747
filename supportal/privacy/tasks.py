from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from supportal.privacy import services


@db_task()
def export_build_task(export_id: int) -> None:
    services.export_build(export_id)


@db_periodic_task(crontab(minute="*/15"))
def exports_clean_up_task() -> None:
    """Expired links stop working and their files go; downloaded files that were left over go."""
    services.exports_clean_up()


@db_periodic_task(crontab(hour="2", minute="41"))
@lock_task("privacy-retention")
def retention_run_task() -> None:
    services.retention_run()
