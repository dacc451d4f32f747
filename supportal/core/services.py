from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def email_send(
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    language: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Renders `<template>_subject.txt`, `.txt` and `.html` in `language` and sends the message.

    Everything goes through EMAIL_BACKEND, which is the outbox: rows are written in the caller's
    transaction and delivered after it commits.
    """
    context = {**context, "SITE_URL": settings.SITE_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", {**context, "subject": subject})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    message.send()
