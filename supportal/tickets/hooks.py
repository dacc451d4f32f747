"""What other areas do when a request changes, inside the same transaction.

The request services (services/tickets.py, relations.py, and the email channel's delivery) call
`ticket_changed` once per change, after writing the change and its TicketEvent rows, with the
events they wrote. Areas that react (service levels now, triggers later) connect a receiver in
their AppConfig.ready(); a receiver may change the request through the same services, which
calls the receivers again with the new events (each receiver guards its own depth).
Receivers must be cheap when nothing applies to them: they run on every emailed request.
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


def connect(receiver: Receiver, *, first: bool = False) -> None:
    """Adds a receiver; `first` puts it before the others (routing decides the group before
    service levels and triggers look at it)."""
    if receiver in _receivers:
        return
    if first:
        _receivers.insert(0, receiver)
    else:
        _receivers.append(receiver)


def ticket_changed(change: TicketChange) -> None:
    _local.calls = getattr(_local, "calls", 0) + 1
    for receiver in list(_receivers):
        before = _local.calls
        receiver(change)
        if _local.calls != before:
            # The receiver changed the request through the services (on a fresh copy): the
            # receivers after it read what it is now, not what it was.
            change.ticket.refresh_from_db()
