from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from supportal.accounts.models import Organization, Role, User, normalize_email
from supportal.accounts.tokens import (
    VerifyClaim,
    VerifyOutcome,
    make_verification_token,
    read_verification_token,
)
from supportal.core.services import email_send


def user_create(
    *,
    email: str,
    name: str,
    password: str | None,
    role: str = Role.CUSTOMER,
    language: str,
    time_zone: str,
    organization: Organization | None = None,
    verified: bool = False,
) -> User:
    return User.objects.create_user(
        email=email,
        password=password,
        name=name,
        role=role,
        language=language,
        time_zone=time_zone,
        organization=organization,
        email_verified_at=timezone.now() if verified else None,
    )


def verification_email_send(*, user: User) -> None:
    token = make_verification_token(user_id=user.pk, email=user.email)
    with translation.override(user.language):
        path = reverse("accounts:verify", kwargs={"token": token})
    email_send(
        to=user.email,
        template="accounts/email/verify",
        context={"user": user, "path": path},
        language=user.language,
    )


@transaction.atomic
def user_signup(*, email: str, name: str, password: str, language: str, time_zone: str) -> User:
    """A customer signs up: the account exists at once, sign-in waits for the emailed link."""
    user = user_create(
        email=email, name=name, password=password, language=language, time_zone=time_zone
    )
    verification_email_send(user=user)
    return user


def verification_resend(*, email: str) -> None:
    """Sends a new link when an unverified account has this email; silent otherwise."""
    user = User.objects.filter(
        email=normalize_email(email), is_active=True, email_verified_at__isnull=True
    ).first()
    if user is not None:
        verification_email_send(user=user)


@transaction.atomic
def user_verify_email(*, token: str) -> VerifyOutcome:
    claim = read_verification_token(token)
    if not isinstance(claim, VerifyClaim):
        return claim
    user = User.objects.select_for_update().filter(pk=claim.user_id, is_active=True).first()
    # A token for an address the user no longer has is as good as forged.
    if user is None or user.email != claim.email:
        return VerifyOutcome.INVALID
    if user.email_verified:
        return VerifyOutcome.ALREADY
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return VerifyOutcome.VERIFIED


def user_update_profile(*, user: User, name: str, language: str, time_zone: str) -> None:
    user.name = name
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["name", "language", "time_zone"])


def user_set_language(*, user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
