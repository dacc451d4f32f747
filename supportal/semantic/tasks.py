"""The worker's semantic work: vectors after a change, and catching up on missing ones."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from supportal.semantic import services, sources

logger = logging.getLogger(__name__)


@db_task()
def embed_ids(kind: str, ids: list[int]) -> None:
    services.embed_now(kind, ids)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("semantic-embed-missing")
def embed_missing() -> None:
    """Every five minutes: vectors the change-time task missed (a worker that stopped half-way,
    a model changed by a setting, a corrupt row removed) are made."""
    for kind in sources.kinds():
        made = services.embed_missing(kind)
        if made:
            logger.info("embedded %s missing %s vectors", made, kind)
