"""Reading calls and the people they are from."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When

from supportal.accounts.models import Role, User
from supportal.lib.phone import stored_forms
from supportal.phone.models import Call
from supportal.tickets.models import Channel, Ticket


def customer_for_number(number: str) -> User | None:
    """The person with this phone number (normalised): a customer before an agent, an active
    account before a deactivated one, the oldest first when several share it (a family).
    With PHONE_REGION also one whose number was stored in national digits before it was set
    ("01012345678" for "+821012345678"), and the other way round (lib.phone.stored_forms)."""
    if not number:
        return None
    return (
        User.objects.filter(phone__in=stored_forms(number, region=settings.PHONE_REGION))
        .order_by(
            "-is_active",
            Case(
                When(role=Role.CUSTOMER, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "pk",
        )
        .first()
    )


def open_phone_request(customer: User) -> Ticket | None:
    """The customer's most recently updated unsolved phone request, which a new call joins."""
    return (
        Ticket.objects.filter(requester=customer, channel=Channel.PHONE, is_open=True)
        .order_by("-updated_at", "-id")
        .first()
    )


def calls_for(ticket: Ticket) -> list[Call]:
    """The calls of a request in the order they happened, with their agents (one query)."""
    return list(
        Call.objects.filter(ticket=ticket).select_related("agent").order_by("started_at", "pk")
    )
