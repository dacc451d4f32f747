"""The worker's business-rules work: the time-based automations, every hour."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from supportal.rules.automations import automations_run

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
def run_automations() -> None:
    """One pass of every active automation. A pass that overlaps another, or follows one
    killed half-way, fires nothing twice (AutomationRun is claimed with the changes)."""
    fired = sum(result.fired for result in automations_run())
    if fired:
        logger.info("automations acted on %s requests", fired)
