"""Secrets we must store and read back (mailbox passwords, TOTP seeds, session keys, inbound
URL secrets), encrypted at rest with Fernet.

Keys: ENCRYPTION_KEYS, one or more Fernet keys, comma-separated, newest first. Encryption
always uses the first; decryption tries each, so a key is rotated by putting a new one in
front, running `supportal rotate_encryption` (which re-encrypts every registered field with
the newest key) and then removing the old one. Installs that predate ENCRYPTION_KEYS may still
set MAIL_SECRET_KEY, which is read after it. Without either, a key is derived from SECRET_KEY:
enough for the embedded setup, but changing SECRET_KEY then makes stored secrets unreadable.
The derived key is always tried last when decrypting, so an install that used it can switch to
explicit keys and rotate.

Every model field holding a ciphertext registers here (`register_encrypted`), so the rotation
command finds new secrets without being told.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import transaction


def _configured_keys() -> list[str]:
    keys: list[str] = []
    for name in ("ENCRYPTION_KEYS", "MAIL_SECRET_KEY"):
        raw = getattr(settings, name, "") or ""
        values = raw.split(",") if isinstance(raw, str) else list(raw)
        for value in values:
            key = value.strip()
            if key and key not in keys:
                keys.append(key)
    return keys


def _derived_key() -> str:
    digest = hashlib.sha256(b"supportal-mail-secret:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = _configured_keys()
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, binascii.Error):
            raise ImproperlyConfigured(
                f"ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64 "
                'bytes); make one with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`'
            ) from None
    derived = _derived_key()
    if derived not in keys:
        fernets.append(Fernet(derived))  # first when nothing is configured, else read-only
    return MultiFernet(fernets)


def _reset(**kwargs: object) -> None:
    if kwargs.get("setting") in ("ENCRYPTION_KEYS", "MAIL_SECRET_KEY", "SECRET_KEY"):
        _fernet.cache_clear()


setting_changed.connect(_reset, dispatch_uid="crypto-keys")


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


def rotate_token(token: str) -> str | None:
    """The same secret encrypted with the newest key; None when no key can read it."""
    if not token:
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def hash_token(token: str) -> str:
    """The SHA-256 of a one-time or bearer token, the only form in which it is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- The registry of encrypted fields ----------------------------------------------------------


@dataclass(frozen=True)
class EncryptedField:
    model: str  # "app_label.ModelName"
    field: str


_REGISTRY: list[EncryptedField] = []


def register_encrypted(model: str, *fields: str) -> None:
    """Declares fields of `model` ("app_label.ModelName") that hold `encrypt` output; call it
    from the app's AppConfig.ready(). Registering twice is harmless."""
    for field in fields:
        entry = EncryptedField(model, field)
        if entry not in _REGISTRY:
            _REGISTRY.append(entry)


def encrypted_fields() -> list[EncryptedField]:
    """Every registered field whose model is installed."""
    installed = []
    for entry in _REGISTRY:
        try:
            apps.get_model(entry.model)
        except LookupError:
            continue
        installed.append(entry)
    return installed


@dataclass
class RotationResult:
    rotated: int = 0
    unreadable: int = 0  # ciphertexts no configured key can read: left as they are


def count_encrypted() -> int:
    """How many stored values rotation would visit."""
    total = 0
    for entry in encrypted_fields():
        model = apps.get_model(entry.model)
        total += model._default_manager.exclude(**{entry.field: ""}).count()
    return total


def rotate_all(
    *, progress: Callable[[int], object] | None = None, batch: int = 500
) -> RotationResult:
    """Re-encrypts every registered field of every row with the newest key, in batches (each
    its own transaction, so a stopped run can simply be started again)."""
    result = RotationResult()
    for entry in encrypted_fields():
        model = apps.get_model(entry.model)
        for rows in _batches(model, entry.field, batch):
            with transaction.atomic():
                for pk, token in rows:
                    fresh = rotate_token(token)
                    if fresh is None:
                        result.unreadable += 1
                        continue
                    # Only if unchanged since read: a secret saved meanwhile is already new.
                    model._default_manager.filter(pk=pk, **{entry.field: token}).update(
                        **{entry.field: fresh}
                    )
                    result.rotated += 1
            if progress is not None:
                progress(len(rows))
    return result


def _batches(model: type, field: str, size: int) -> Iterator[list[tuple[object, str]]]:
    last = None
    manager = model._default_manager  # type: ignore[attr-defined]
    while True:
        query = manager.exclude(**{field: ""}).order_by("pk")
        if last is not None:
            query = query.filter(pk__gt=last)
        rows = list(query.values_list("pk", field)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]
