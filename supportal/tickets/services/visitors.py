"""Requests from visitors without an account, and the single-use links that sign them in."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from supportal.accounts.models import Role, User, normalize_email
from supportal.core.crypto import hash_token
from supportal.tickets import notifications
from supportal.tickets.models import (
    AccessToken,
    CustomField,
    RequestType,
    Ticket,
)
from supportal.tickets.services.tickets import _ticket_create


def user_for_email(*, email: str, name: str = "", language: str = "") -> User:
    """The account with this email, or a new customer account without a password (a visitor
    who wrote in, or someone put in CC)."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user:
        return user
    user = User(
        email=email,
        name=name.strip()[:150] or email.split("@")[0],
        role=Role.CUSTOMER,
        language=language or settings.LANGUAGE_CODE,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two messages from (or copying) the same new person at the same moment: the other
        # one made the account.
        return User.objects.get(email=email)
    return user


def access_link_create(*, ticket: Ticket, user: User) -> str:
    """A single-use token that signs `user` in to `ticket`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(
        ticket=ticket,
        user=user,
        token_hash=hash_token(token),
        expires_at=timezone.now() + timedelta(days=settings.REQUEST_LINK_DAYS),
    )
    return token


@dataclass
class LinkOutcome:
    ticket: Ticket | None
    user: User | None
    problem: str = ""  # "", "expired", "used" or "invalid"


@transaction.atomic
def access_link_use(*, token: str) -> LinkOutcome:
    row = (
        AccessToken.objects.select_for_update()
        .select_related("ticket", "user")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if row is None:
        return LinkOutcome(None, None, "invalid")
    if row.used_at:
        return LinkOutcome(row.ticket, None, "used")
    if row.expires_at < timezone.now():
        return LinkOutcome(row.ticket, None, "expired")
    if not row.user.is_customer or not row.user.is_active:
        # A link never signs in a staff account: they sign in with their password and 2FA.
        return LinkOutcome(row.ticket, None, "invalid")
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    if row.user.email_verified_at is None:
        # Following a link sent to the address proves the visitor owns it.
        row.user.email_verified_at = row.used_at
        row.user.save(update_fields=["email_verified_at"])
    return LinkOutcome(row.ticket, row.user)


@transaction.atomic
def ticket_create_anonymous(
    *,
    email: str,
    name: str,
    subject: str,
    description: str,
    language: str,
    type: RequestType | None = None,
    fields: Mapping[CustomField, Any] | None = None,
    attachments: Sequence[UploadedFile] = (),
    submission_key: str | None = None,
    deflection_key: str | None = None,
) -> Ticket:
    """A visitor's request: made at once, with an emailed link that signs them in to it."""
    requester = user_for_email(email=email, name=name, language=language)
    ticket, created, _message = _ticket_create(
        requester=requester,
        subject=subject,
        description=description,
        type=type,
        fields=fields,
        attachments=attachments,
        submission_key=submission_key,
        deflection_key=deflection_key,
        notify=False,
    )
    if created:
        token = access_link_create(ticket=ticket, user=requester)
        notifications.request_received(ticket, access_token=token)
    return ticket
