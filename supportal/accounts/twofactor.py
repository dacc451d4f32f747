"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238), single-use recovery codes and
remembered ("trusted") browsers.

The secret is stored encrypted (supportal.core.crypto); recovery codes and browser tokens are
stored as SHA-256 hashes. Sign-in with a second factor is two steps: the password step leaves
a pending state in the session (`pending_start`), the code step (`views.twofactor`) finishes it.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import segno
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_otp.oath import TOTP

from supportal.accounts import reauth
from supportal.accounts.models import (
    RecoveryCode,
    SecurityPolicy,
    TOTPDevice,
    TrustedBrowser,
    User,
)
from supportal.audit.services import audit_record
from supportal.core import crypto
from supportal.core.crypto import hash_token

RECOVERY_CODE_COUNT = 10
TRUST_DAYS = 30
TRUST_COOKIE = "supportal_trusted_browser"
PENDING_KEY = "twofactor_pending"
PENDING_SECONDS = 5 * 60
# Set at sign-in when the policy requires a second factor the person has not set up; the
# enforcement middleware reads only this flag, so ordinary requests cost no query.
SETUP_REQUIRED_KEY = "twofactor_setup_required"
TOLERANCE = 1  # steps either side: a phone clock a little off, a code typed as it changed
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# --- The authenticator app ----------------------------------------------------------------------


def device_for(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-id").first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _key(device: TOTPDevice) -> bytes:
    try:
        return binascii.unhexlify(crypto.decrypt(device.encrypted_key))
    except (binascii.Error, ValueError):
        return b""


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in: base32, in groups of four."""
    raw = base64.b32encode(_key(device)).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _issuer() -> str:
    host = urlsplit(settings.SITE_URL).hostname or ""
    return f"Supportal ({host})" if host else "Supportal"


def provisioning_uri(device: TOTPDevice) -> str:
    issuer = _issuer()
    label = quote(f"{issuer}:{device.user.email}")
    query = urlencode(
        {
            "secret": secret_base32(device).replace(" ", ""),
            "issuer": issuer,
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(device: TOTPDevice, *, title: str) -> str:
    """The provisioning address as an inline SVG: no XML declaration, no fixed size (CSS sizes
    it through the class), no style attribute, so the Content-Security-Policy has nothing to
    refuse. A white quiet zone keeps it scannable in dark mode."""
    svg: str = segno.make(provisioning_uri(device), error="m").svg_inline(
        scale=1,
        border=4,
        svgclass="qr-code",
        lineclass=None,
        omitsize=True,
        title=title,
        light="#fff",
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def twofactor_setup_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed secret for the authenticator app (replacing an earlier unconfirmed
    one); it signs in nothing until `twofactor_setup_confirm` accepts a code from it."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(
            user=user,
            name="Authenticator app",
            confirmed=False,
            encrypted_key=crypto.encrypt(secrets.token_hex(20)),
        )


class CodeCheck(Enum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"
    THROTTLED = "throttled"


@dataclass
class CodeResult:
    outcome: CodeCheck
    wait_seconds: int = 0
    recovery_codes_left: int | None = None  # set when a recovery code was used

    @property
    def ok(self) -> bool:
        return self.outcome is CodeCheck.OK


def _digits(token: str) -> int | None:
    cleaned = "".join(token.split())
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 10 else None


def _wait(device: TOTPDevice) -> int:
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds() + 0.999))


def _totp_check(device: TOTPDevice, number: int) -> CodeCheck:
    totp = TOTP(_key(device), step=device.step, digits=device.digits)
    if totp.verify(number, tolerance=TOLERANCE, min_t=device.last_t + 1):
        device.last_t = totp.t()
        return CodeCheck.OK
    totp.drift = 0
    if totp.verify(number, tolerance=TOLERANCE):
        return CodeCheck.REUSED
    return CodeCheck.WRONG


def _check_locked(device: TOTPDevice, check: Any) -> CodeResult:
    """Runs `check(device)` on the row locked for update, so two requests cannot both accept
    the same step, and counts the failure for ThrottlingMixin's back-off."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        wait = _wait(device)
        if wait:
            return CodeResult(CodeCheck.THROTTLED, wait_seconds=wait)
        result: CodeResult = check(device)
        if result.ok:
            device.throttle_reset(commit=False)
            device.last_used_at = timezone.now()
        else:
            device.throttle_increment(commit=False)
        device.save()
        return result


def twofactor_setup_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> CodeResult:
    """Turns the new secret on when `code` is a current code from it; returns the result, and
    on success the caller shows the codes from `recovery_codes_generate`."""
    number = _digits(code)

    def check(locked: TOTPDevice) -> CodeResult:
        if number is None:
            return CodeResult(CodeCheck.WRONG)
        return CodeResult(_totp_check(locked, number))

    with transaction.atomic():
        result = _check_locked(device, check)
        if result.ok:
            user = device.user
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            device.confirmed = True
            audit_record(action="twofactor.enable", request=request, target=user)
            request.session.pop(SETUP_REQUIRED_KEY, None)
    return result


def verify_code(*, user: User, code: str) -> CodeResult:
    """A code at sign-in: a current code from the app, or an unused recovery code."""
    device = device_for(user)
    if device is None:
        return CodeResult(CodeCheck.WRONG)
    number = _digits(code)
    if number is not None and len("".join(code.split())) == device.digits:

        def check(locked: TOTPDevice) -> CodeResult:
            return CodeResult(_totp_check(locked, number))

        return _check_locked(device, check)

    def check_recovery(locked: TOTPDevice) -> CodeResult:
        normalized = normalize_recovery_code(code)
        used = (
            RecoveryCode.objects.filter(
                user=user, code_hash=hash_token(normalized), used_at__isnull=True
            ).update(used_at=timezone.now())
            if normalized
            else 0
        )
        if not used:
            return CodeResult(CodeCheck.WRONG)
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        return CodeResult(CodeCheck.OK, recovery_codes_left=left)

    return _check_locked(device, check_recovery)


@transaction.atomic
def twofactor_disable(*, request: HttpRequest, user: User) -> None:
    """Removes the app, the recovery codes and the remembered browsers."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    TrustedBrowser.objects.filter(user=user).delete()
    audit_record(action="twofactor.disable", request=request, target=user)
    if setup_required(user):
        request.session[SETUP_REQUIRED_KEY] = True


# --- Recovery codes -----------------------------------------------------------------------------


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_generate(*, request: HttpRequest, user: User) -> list[str]:
    """Ten new codes replacing the old ones; returned in clear once, stored only hashed."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=hash_token(normalize_recovery_code(code)))
        for code in codes
    )
    audit_record(
        action="twofactor.recovery_codes", request=request, target=user, after={"count": len(codes)}
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- Remembered browsers ------------------------------------------------------------------------


def trusted_browser_valid(request: HttpRequest, user: User) -> bool:
    token = request.COOKIES.get(TRUST_COOKIE, "")
    if not token:
        return False
    return TrustedBrowser.objects.filter(
        user=user, token_hash=hash_token(token), expires_at__gt=timezone.now()
    ).exists()


def trusted_browser_remember(*, request: HttpRequest, response: HttpResponse, user: User) -> None:
    """Sets the cookie whose token's hash is a new TrustedBrowser row."""
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=TRUST_DAYS)
    TrustedBrowser.objects.filter(user=user, expires_at__lte=timezone.now()).delete()
    TrustedBrowser.objects.create(
        user=user,
        token_hash=hash_token(token),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
        expires_at=expires,
    )
    response.set_cookie(
        TRUST_COOKIE,
        token,
        max_age=TRUST_DAYS * 24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def trusted_browsers(user: User) -> list[TrustedBrowser]:
    return list(
        TrustedBrowser.objects.filter(user=user, expires_at__gt=timezone.now()).order_by(
            "-created_at", "-id"
        )
    )


@transaction.atomic
def trusted_browsers_forget(*, request: HttpRequest, user: User) -> int:
    count, _ = TrustedBrowser.objects.filter(user=user).delete()
    audit_record(action="twofactor.forget_browsers", request=request, target=user)
    return count


# --- Sign-in --------------------------------------------------------------------------------------


def needs_second_factor(request: HttpRequest, user: User) -> bool:
    return has_two_factor(user) and not trusted_browser_valid(request, user)


def pending_start(request: HttpRequest, user: User, *, next_url: str, backend: str) -> None:
    """The password was right; remember who is signing in until the code step finishes it."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "at": int(time.time()),
        "next": next_url,
        "backend": backend,
    }


def pending_get(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The person half-way through signing in, or None (nobody, or it took over five minutes)."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    return (user, data) if user is not None else None


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def setup_required(user: User) -> bool:
    """The policy asks this person for a second factor they have not set up. A passkey counts:
    it is something they have, unlocked by something they know or are."""
    if not user.is_agent:
        return False
    if not SecurityPolicy.current().require_two_factor_for_staff:
        return False
    return not has_two_factor(user) and not user.passkeys.exists()


@receiver(user_logged_in, dispatch_uid="supportal.accounts.twofactor.on_login")
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Every sign-in (password, code, passkey) counts as a fresh proof of identity, and is when
    the two-factor policy is applied: staff without a second factor must set one up first."""
    if request is None or not hasattr(request, "session"):
        return
    reauth.mark_fresh(request)
    if setup_required(user):
        request.session[SETUP_REQUIRED_KEY] = True
    else:
        request.session.pop(SETUP_REQUIRED_KEY, None)
