"""What other areas do when a request changes, inside the same transaction.

The request services (services/tickets.py, relations.py, and the email channel's delivery) call
`ticket_changed` once per change, after writing the change and its TicketEvent rows, with the
events they wrote; a new request first passes the preparers (below). Areas that react (service
levels, triggers, satisfaction surveys) connect a receiver in their AppConfig.ready(); a
receiver may change the request through the same services, which announce that change in turn
(a nested call; each receiver guards its own depth), and the request is read again for the
receivers after it. Receivers must be cheap when nothing applies to them: they run on every
emailed request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from supportal.accounts.models import User
from supportal.tickets.models import Message, Ticket, TicketEvent


@dataclass
class TicketChange:
    ticket: Ticket
    actor: User | None
    channel: str
    events: list[TicketEvent] = field(default_factory=list)
    created: bool = False
    message: Message | None = None  # the message added by this change, if any
    via: str = ""  # the automatic rule that made the change (TicketEvent.via), if any

    def changed(self, name: str) -> TicketEvent | None:
        """The event that changed field `name` ("status", "priority", ...), if any."""
        return next((e for e in self.events if e.field == name), None)


Receiver = Callable[[TicketChange], None]
_receivers: list[Receiver] = []
_local = threading.local()  # .calls: changes announced in this thread, to see nested ones


def connect(receiver: Receiver) -> None:
    if receiver not in _receivers:
        _receivers.append(receiver)


# Preparers complete a new request before any receiver hears of it (routing puts it in a group
# and assigns it), through tickets.services.ticket_set_on_create, which adds their events to the
# creation's change: receivers then see one "created" change with the request as it ends up.
_preparers: list[Receiver] = []


def connect_preparer(preparer: Receiver) -> None:
    if preparer not in _preparers:
        _preparers.append(preparer)


def prepare_created(change: TicketChange) -> None:
    for preparer in list(_preparers):
        preparer(change)


def ticket_changed(change: TicketChange) -> None:
    _local.calls = getattr(_local, "calls", 0) + 1
    for receiver in list(_receivers):
        before = _local.calls
        receiver(change)
        if _local.calls != before:
            # The receiver changed the request through the services (on a fresh copy): the
            # receivers after it read what it is now, not what it was.
            change.ticket.refresh_from_db()
