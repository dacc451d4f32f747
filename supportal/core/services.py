from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from supportal.lib.phone import has_mailbox

# RFC 3834: mail a program sends on its own. A person's words mailed on (an agent's reply)
# carry no Auto-Submitted; an acknowledgement of the customer's mail is "auto-replied".
AUTO_GENERATED = "auto-generated"


def email_send(
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    language: str,
    headers: Mapping[str, str] | None = None,
    from_email: str | None = None,
    auto_submitted: str | None = AUTO_GENERATED,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """Renders `<template>_subject.txt`, `.txt` and `.html` in `language` and sends the message.

    Everything goes through EMAIL_BACKEND, which is the outbox: rows are written in the caller's
    transaction and delivered after it commits. `attachments` are (filename, bytes, type);
    `auto_submitted=None` sends no Auto-Submitted header. Nothing is sent to an address in
    the reserved ".invalid" domain (supportal.lib.phone.has_mailbox).
    """
    if not has_mailbox(to):
        # A placeholder (a caller known only by their number, an erased person): nobody reads it.
        return
    context = {**context, "SITE_URL": settings.SITE_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", {**context, "subject": subject})
    extra = {"Auto-Submitted": auto_submitted} if auto_submitted else {}
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={**extra, **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
