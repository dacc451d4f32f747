"""Test messages built with Python's email package (synthetic), and mailbox helpers."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.test import TestCase
from django.utils import timezone

from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.services import mail_ingest
from supportal.tickets.models import Group


def make_mailbox(
    address: str = "help@support.test",
    *,
    name: str = "Acme Support",
    group: Group | None = None,
    delivery: str = Mailbox.Delivery.PIPE,
) -> Mailbox:
    return Mailbox.objects.create(
        address=address.lower(), name=name, group=group, delivery=delivery
    )


def email(
    *,
    sender: str = "Casey Customer <casey@acme.test>",
    to: str = "help@support.test",
    cc: str = "",
    subject: str = "Printer on fire",
    body: str = "The printer in room 4 is on fire.\n",
    html: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="acme.test")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def ingest(raw: bytes, mailbox: Mailbox | None = None, **kwargs: Any) -> InboundEmail:
    """mail_ingest, then what its commit sets off (the acknowledgement task), as in production
    with the worker running; a test's transaction would otherwise hold those back."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return mail_ingest(raw=raw, mailbox=mailbox, source=InboundEmail.Source.PIPE, **kwargs)
