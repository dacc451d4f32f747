"""Secrets we must store and read back (mailbox passwords), encrypted at rest with Fernet.

The key comes from MAIL_SECRET_KEY (one or more Fernet keys, comma-separated, newest first, so a
key can be rotated); without it, one is derived from SECRET_KEY, which is enough for the
embedded setup but means that changing SECRET_KEY makes stored passwords unreadable.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.MAIL_SECRET_KEY.split(",") if key.strip()]
    if not keys:
        digest = hashlib.sha256(b"supportal-mail-secret:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The stored secret, or "" when it cannot be read (the key changed)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
