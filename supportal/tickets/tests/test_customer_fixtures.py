"""Shared helpers for the customer request tests (no tests of its own)."""

from __future__ import annotations

import base64
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from supportal.core.models import OutboundEmail
from supportal.helpcenter import services as hc_services
from supportal.helpcenter.models import Article, Visibility
from supportal.tickets import services
from supportal.tickets.models import CustomField, Ticket
from supportal.tickets.services import Changes

# A real 1x1 PNG: uploads are decoded and re-encoded, so a fake one would be refused.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def url(path: str = "", lang: str = "en") -> str:
    return f"/{lang}/requests/{path}"


def detail(ticket: Ticket, action: str = "", lang: str = "en") -> str:
    return url(f"{ticket.pk}/{action}", lang=lang)


def set_status(ticket: Ticket, status: str, actor: object) -> None:
    services.ticket_update(ticket=ticket, actor=actor, changes=Changes(status=status))


def upload(name: str = "notes.txt", content: bytes = b"some notes", kind: str = "") -> object:
    return SimpleUploadedFile(name, content, content_type=kind or "application/octet-stream")


def make_article(
    title: str = "Reset your password",
    body: str = "Open the sign-in page and choose Forgot password.",
    visibility: str = Visibility.EVERYONE,
    locales: tuple[str, ...] = ("en",),
) -> Article:
    """A published article, in the search index (which is written after the commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        category = hc_services.category_create(names={"en": "Accounts"})
        section = hc_services.section_create(category=category, names={"en": "Passwords"})
        article = hc_services.article_create(section=section, visibility=visibility)
        for locale in locales:
            hc_services.translation_save(
                article=article, locale=locale, title=title, body=body, status="published"
            )
    return article


def make_field(
    key: str,
    kind: str = CustomField.Kind.TEXT,
    *,
    required: bool = False,
    customer_visible: bool = True,
    choices: list[dict[str, object]] | None = None,
    position: int = 0,
) -> CustomField:
    return CustomField.objects.create(
        key=key,
        labels={"en": key.replace("_", " ").capitalize(), "ko": f"{key} (ko)"},
        kind=kind,
        required=required,
        customer_visible=customer_visible,
        choices=choices or [],
        position=position,
    )


def mail_to(email: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to__icontains=email).order_by("pk"))


def access_path(email: OutboundEmail) -> str:
    """The path of the sign-in link in a "we received your request" email."""
    match = re.search(r"https?://[^/\s]+(/\S*/requests/access/\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def form_key(html: str) -> str:
    match = re.search(r'name="key" id="request-key" value="([^"]+)"', html)
    assert match, "the form has no key"
    return match.group(1)
