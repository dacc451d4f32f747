"""Outgoing mail: an email backend that writes to the outbox, and SMTP delivery from it."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction

from supportal.core.models import OutboundEmail


def delivery_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.body if message.content_subtype == "plain" else ""
    html = message.body if message.content_subtype == "html" else ""
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html" and not html:
                html = str(content)
    return text, html


def _bouncing(recipients: Sequence[str]) -> dict[str, str]:
    """The recipients whose address bounces for good, each with the reason recorded."""
    # Imported here: core loads before (and without depending on) the email channel.
    from supportal.mail.models import BouncingAddress

    addresses = {recipient: parseaddr(recipient)[1].strip().lower() for recipient in recipients}
    reasons = dict(
        BouncingAddress.objects.filter(
            email__in=set(addresses.values()), permanent=True
        ).values_list("email", "reason")
    )
    return {
        recipient: reasons[address] or "no reason recorded"
        for recipient, address in addresses.items()
        if address in reasons
    }


def _bounce_lines(bouncing: dict[str, str]) -> str:
    return "\n".join(f"{address} ({reason})" for address, reason in bouncing.items())


class OutboxBackend(BaseEmailBackend):
    """Django's EMAIL_BACKEND: stores each message as an OutboundEmail and queues delivery.

    Addresses that bounce for good are left out of the envelope (the headers keep them); a
    message with no one else to go to is kept as "suppressed" and never queued.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from supportal.core.tasks import deliver_email

        count = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            bouncing = _bouncing(recipients)
            deliverable = [address for address in recipients if address not in bouncing]
            if not deliverable:
                status = OutboundEmail.Status.SUPPRESSED
            elif delivery_configured():
                status = OutboundEmail.Status.PENDING
            else:
                status = OutboundEmail.Status.HELD
            text, html = _bodies(message)
            row = OutboundEmail.objects.create(
                from_email=message.from_email,
                # A held message still shows whom it was for.
                to="\n".join(deliverable or recipients),
                subject=str(message.subject)[:998],
                body_text=text,
                body_html=html,
                raw=message.message().as_bytes(linesep="\r\n"),
                status=status,
                bounced=_bounce_lines(bouncing),
            )
            if row.status == OutboundEmail.Status.PENDING:
                transaction.on_commit(lambda pk=row.pk: deliver_email(pk))
            count += 1
        return count


def smtp_send(row: OutboundEmail) -> None:
    """Hands one stored message to the configured SMTP server; raises on failure."""
    backend = SMTPBackend(fail_silently=False)
    backend.open()
    try:
        if backend.connection is None:
            raise ConnectionError("the SMTP connection could not be opened")
        backend.connection.sendmail(row.from_email, row.recipients, bytes(row.raw))
    finally:
        backend.close()
