"""Permission-aware reads for the agent inbox (owned by the inbox work; stub for now)."""

from __future__ import annotations

from supportal.accounts.models import User
from supportal.tickets.models import Ticket


def neighbour(user: User, view: str, ticket: Ticket, direction: str) -> int | None:
    """The number of the request after ("next") or before ("previous") `ticket` in inbox view
    `view` ("mine", "unassigned", "open", "pending", "solved" or "saved-<pk>") as `user` sees
    it, in the view's sort order; None at either end or when `ticket` is not in the view."""
    raise NotImplementedError
