"""Outgoing mail: an email backend that writes to the outbox, and SMTP delivery from it."""

from __future__ import annotations

from collections.abc import Sequence

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


class OutboxBackend(BaseEmailBackend):
    """Django's EMAIL_BACKEND: stores each message as an OutboundEmail and queues delivery."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from supportal.core.tasks import deliver_email

        count = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            text, html = _bodies(message)
            row = OutboundEmail.objects.create(
                from_email=message.from_email,
                to="\n".join(recipients),
                subject=str(message.subject)[:998],
                body_text=text,
                body_html=html,
                raw=message.message().as_bytes(linesep="\r\n"),
                status=OutboundEmail.Status.PENDING
                if delivery_configured()
                else OutboundEmail.Status.HELD,
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
