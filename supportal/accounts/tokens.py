"""Signed, expiring links for email verification."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

_SALT = "supportal.accounts.verify-email"


class VerifyOutcome(enum.Enum):
    VERIFIED = "verified"
    ALREADY = "already"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class VerifyClaim:
    user_id: int
    email: str


def make_verification_token(*, user_id: int, email: str) -> str:
    return signing.dumps({"u": user_id, "e": email}, salt=_SALT, compress=True)


def read_verification_token(token: str) -> VerifyClaim | VerifyOutcome:
    """The claim in a token, or why it cannot be used (EXPIRED or INVALID)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        return VerifyOutcome.EXPIRED
    except signing.BadSignature:
        return VerifyOutcome.INVALID
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return VerifyOutcome.INVALID
    return VerifyClaim(user_id=data["u"], email=str(data.get("e", "")))


# --- Changing one's email address ----------------------------------------------------------------

_EMAIL_CHANGE_SALT = "supportal.accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 60 * 60 * 24  # the link to the new address works for one day


@dataclass(frozen=True)
class EmailChangeClaim:
    user_id: int
    old_email: str
    new_email: str


def make_email_change_token(*, user_id: int, old_email: str, new_email: str) -> str:
    return signing.dumps(
        {"u": user_id, "o": old_email, "n": new_email}, salt=_EMAIL_CHANGE_SALT, compress=True
    )


def read_email_change_token(token: str) -> EmailChangeClaim | VerifyOutcome:
    """The claim in a token, or why it cannot be used (EXPIRED or INVALID). It stops working
    once the account's address is no longer `old_email` (so it works once)."""
    try:
        data = signing.loads(token, salt=_EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.SignatureExpired:
        return VerifyOutcome.EXPIRED
    except signing.BadSignature:
        return VerifyOutcome.INVALID
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return VerifyOutcome.INVALID
    return EmailChangeClaim(
        user_id=data["u"], old_email=str(data.get("o", "")), new_email=str(data.get("n", ""))
    )
