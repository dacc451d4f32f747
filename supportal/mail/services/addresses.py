"""Our own support addresses, and the request number in a plus-address (support+1042@...)."""

from __future__ import annotations

import re

from supportal.accounts.models import normalize_email
from supportal.core.copies import SharedCopy
from supportal.mail.models import Mailbox

PLUS_NUMBER = re.compile(r"^(?P<local>[^+@]+)\+(?P<number>\d{1,12})@(?P<domain>.+)$")


def base_address(email: str) -> str:
    match = PLUS_NUMBER.match(email)
    return f"{match['local']}@{match['domain']}" if match else email


def _addresses() -> frozenset[str]:
    return frozenset(a.lower() for a in Mailbox.objects.values_list("address", flat=True))


# Every inbound message checks its sender and recipients against these; they change rarely.
# Kept per process (core.copies), refreshed on any mailbox save or delete (mail.apps).
addresses_copy = SharedCopy("mail:addresses", _addresses, empty=frozenset())


def our_addresses() -> frozenset[str]:
    """Our support addresses, lower case (a copy per process; no query on the usual call)."""
    return addresses_copy.get()


def mailbox_for_addresses(addresses: list[str]) -> Mailbox | None:
    """The support address a message was written to: its own address or a plus-address."""
    wanted = [base_address(normalize_email(address)) for address in addresses]
    if not wanted:
        return None
    found = {m.address.lower(): m for m in Mailbox.objects.filter(address__in=wanted)}
    return next((found[a] for a in wanted if a in found), None)
