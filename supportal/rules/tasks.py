"""The worker's business-rules work: the time-based automations, every hour."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from supportal.rules.automations import automations_run

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="7"))
def run_automations() -> None:
    """One pass of every active automation. A pass that overlaps another, or follows one
    killed half-way, fires nothing twice (AutomationRun is claimed with the changes)."""
    fired = sum(result.fired for result in automations_run())
    if fired:
        logger.info("automations acted on %s requests", fired)


@db_task()
def apply_suggestions_later(ticket_id: int, wanted: dict[str, int], via: str) -> None:
    """A trigger's triage actions on a request that had no vector when it fired (one just
    made): embedded here, in the worker, then the suggestions that reach their thresholds are
    set as that trigger (`via`) would have."""
    from django.db import transaction

    from supportal.rules.actions import suggested_changes
    from supportal.semantic import services as semantic_services
    from supportal.tickets import services as ticket_services
    from supportal.tickets import vectors
    from supportal.tickets.models import Channel, Ticket

    semantic_services.embed_now(vectors.KIND, [ticket_id])
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return
        changes = ticket_services.Changes()
        suggested_changes(ticket, wanted, changes)
        if changes != ticket_services.Changes():
            ticket_services.ticket_update(
                ticket=ticket, actor=None, changes=changes, channel=Channel.SYSTEM, via=via
            )
