"""Writes to the support addresses admins manage (Mailbox rows).

These change no request, so they write no TicketEvent. The IMAP password is only ever set
here, encrypted (Mailbox.imap_password); nothing reads it back for display.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import normalize_email
from supportal.core import crypto
from supportal.mail.models import Mailbox, new_inbound_token

# What mailbox_save accepts besides the password; the poll state is the worker's.
FIELDS = (
    "address",
    "name",
    "group",
    "delivery",
    "active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_user",
    "imap_folder",
    "poll_minutes",
)
# A change to any of these makes the last error stale and is worth trying at once.
CONNECTION_FIELDS = (
    "delivery",
    "active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_user",
    "imap_folder",
)


def address_taken(address: str, mailbox: Mailbox | None = None) -> bool:
    others = Mailbox.objects.filter(address__iexact=normalize_email(address))
    if mailbox is not None and mailbox.pk:
        others = others.exclude(pk=mailbox.pk)
    return others.exists()


def _check(mailbox: Mailbox, password: str | None) -> None:
    if address_taken(mailbox.address, mailbox):
        raise ValidationError(_("There is already a support address with this email address."))
    if not 1 <= mailbox.imap_port <= 65535:
        raise ValidationError(_("Enter a port between 1 and 65535."))
    has_password = bool(password or mailbox.imap_password_encrypted)
    if mailbox.delivery == Mailbox.Delivery.IMAP and not (
        mailbox.imap_host and mailbox.imap_user and has_password
    ):
        raise ValidationError(_("IMAP needs a server, a user name and a password."))


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox | None, password: str | None, **fields: Any) -> Mailbox:
    """Creates or updates a support address. An empty or None `password` keeps the stored one.

    The row is re-read under a lock and only the settings are written, so the poll state the
    worker keeps on the same row (last UID, lease, errors) is never overwritten by a page that
    was opened before the last poll. Changing how the mailbox is reached clears the last error
    and has it checked at once.
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"mailbox_save() got unexpected fields: {', '.join(sorted(unknown))}")
    creating = mailbox is None or mailbox.pk is None
    target = Mailbox() if creating else Mailbox.objects.select_for_update().get(pk=mailbox.pk)  # type: ignore[union-attr]
    before = {name: getattr(target, name) for name in CONNECTION_FIELDS}
    for name, value in fields.items():
        setattr(target, name, value.strip() if isinstance(value, str) else value)
    target.address = normalize_email(target.address)
    target.imap_folder = target.imap_folder or "INBOX"
    _check(target, password)
    written = [*fields, "address", "imap_folder"]
    if password:
        target.imap_password = password
        written.append("imap_password_encrypted")
    if password or any(getattr(target, name) != value for name, value in before.items()):
        target.last_error, target.failures, target.next_poll_at = "", 0, timezone.now()
        written += ["last_error", "failures", "next_poll_at"]
    if creating:
        target.save()
    else:
        target.save(update_fields=sorted(set(written)))
    return target


@transaction.atomic
def mailbox_new_token(*, mailbox: Mailbox) -> Mailbox:
    """A new secret for the HTTP inbound address; the old address stops working at once."""
    token = new_inbound_token()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        inbound_token_hash=crypto.hash_token(token),
        inbound_token_encrypted=crypto.encrypt(token),
    )
    mailbox.refresh_from_db(fields=["inbound_token_hash", "inbound_token_encrypted"])
    return mailbox
