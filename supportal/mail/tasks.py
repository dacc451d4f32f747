"""The worker's email work: acknowledging new requests, IMAP polling every minute, stalled
messages and acknowledgements every five."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from supportal.mail.imap import mailbox_poll
from supportal.mail.models import Mailbox
from supportal.mail.services import (
    inbound_acknowledge,
    inbound_acknowledge_stale,
    inbound_process_stale,
)

logger = logging.getLogger(__name__)


def due_mailboxes() -> list[Mailbox]:
    """Active IMAP mailboxes whose next check is due (mailbox_due_idx)."""
    return list(
        Mailbox.objects.filter(
            delivery=Mailbox.Delivery.IMAP, active=True, next_poll_at__lte=timezone.now()
        ).exclude(imap_host="")
    )


@db_task()
def acknowledge_email(pk: int) -> None:
    """Acknowledges the request made from inbound email `pk`; enqueued after its commit."""
    inbound_acknowledge(pk=pk)


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes() -> None:
    """Checks every due IMAP mailbox, one after another. Each mailbox's lease keeps a run that
    overlaps the next minute's (a long backlog) off the mailboxes it is still draining."""
    for mailbox in due_mailboxes():
        try:
            mailbox_poll(mailbox)
        except Exception:
            # mailbox_poll records IMAP trouble itself; anything else must not stop the others.
            logger.exception("polling %s failed", mailbox.address)


@db_periodic_task(crontab(minute="*/5"))
def process_stale_inbound() -> None:
    """Finishes messages stored but never processed (a worker or web process died between the
    two steps, and no retry came)."""
    count = inbound_process_stale()
    if count:
        logger.info("processed %s stored but unprocessed inbound emails", count)
    count = inbound_acknowledge_stale()
    if count:
        logger.info("sent %s acknowledgements whose task was lost", count)
