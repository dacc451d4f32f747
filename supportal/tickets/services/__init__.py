"""Writes to requests. Views, commands, the API, tasks and tests all go through here.

Every function runs in one transaction and writes a TicketEvent for each change it makes;
notifications are rows in the outbox written in the same transaction.
"""

from __future__ import annotations

from supportal.tickets.services.common import Changes
from supportal.tickets.services.relations import (
    ticket_add_cc,
    ticket_link,
    ticket_merge,
    ticket_remove_cc,
    ticket_unlink,
)
from supportal.tickets.services.tickets import (
    deflection_record,
    ticket_create,
    ticket_mark_solved,
    ticket_reopen,
    ticket_reply,
    ticket_set_on_create,
    ticket_update,
    tickets_bulk_update,
)
from supportal.tickets.services.visitors import (
    LinkOutcome,
    access_link_create,
    access_link_use,
    ticket_create_anonymous,
    user_for_email,
)

__all__ = [
    "Changes",
    "LinkOutcome",
    "access_link_create",
    "access_link_use",
    "deflection_record",
    "ticket_add_cc",
    "ticket_create",
    "ticket_create_anonymous",
    "ticket_link",
    "ticket_mark_solved",
    "ticket_merge",
    "ticket_remove_cc",
    "ticket_reopen",
    "ticket_reply",
    "ticket_set_on_create",
    "ticket_unlink",
    "ticket_update",
    "tickets_bulk_update",
    "user_for_email",
]
