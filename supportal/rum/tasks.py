from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from supportal.rum import services


@db_periodic_task(crontab(hour="3", minute="17"))
@lock_task("rum-prune")
def rum_prune_task() -> None:
    """Timings of days past KEEP_DAYS and errors not seen since then go."""
    services.rum_prune()
