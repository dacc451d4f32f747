"""The chat's work for the worker: ending chats nobody writes in any more."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from supportal.chat.services import chats_end_idle

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def end_idle_chats() -> None:
    """Every minute: active chats without a message for ChatSettings.idle_minutes end."""
    ended = chats_end_idle()
    if ended:
        logger.info("ended %s idle chats", ended)
