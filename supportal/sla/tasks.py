"""The SLA worker: every minute, warnings and breaches (supportal.sla.services.sla_check).

huey's Django integration imports the `tasks` module of every installed app, so this runs in
`supportal run_huey` (or the `worker` process) without being listed anywhere.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from supportal.sla.services import sla_check

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def check_service_levels() -> None:
    result = sla_check(timezone.now())
    if result.warned or result.breached:
        logger.info(
            "sla: %s warned, %s breached, %s escalated",
            result.warned,
            result.breached,
            result.escalated,
        )
