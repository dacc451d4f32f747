"""Passkeys (WebAuthn) with py_webauthn: registering, signing in and confirming with them.

The relying party is the host the person is browsing (SITE_URL's host in production; Django's
ALLOWED_HOSTS has already vetted it), and the origin the browser reports must be that same
scheme, host and port. Each ceremony's challenge lives in the session, for one purpose, for five
minutes, and is used once: it is removed before the answer is checked.

Passkeys are discoverable credentials with user verification required, so a passkey is both
factors at once: signing in with one skips the two-factor code.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from supportal.accounts.models import Passkey, User
from supportal.audit.services import audit_record

RP_NAME = "Supportal"
CHALLENGE_AGE = 300  # seconds
_CHALLENGE = "passkey_challenge"

REGISTER = "register"
SIGN_IN = "sign_in"
CONFIRM = "confirm"


class PasskeyError(Exception):
    """A ceremony failed; the message is translated and safe to show."""


@dataclass(frozen=True)
class Relying:
    rp_id: str
    origin: str


def relying_party(request: HttpRequest) -> Relying:
    """The RP ID and origin for this request: the host the browser is on. Production serves one
    host (SITE_URL's); a passkey made on one host does not work on another."""
    host = request.get_host()  # validated against ALLOWED_HOSTS
    hostname = urlsplit(f"//{host}").hostname or ""
    site = urlsplit(settings.SITE_URL)
    if hostname == site.hostname:
        return Relying(rp_id=hostname, origin=f"{site.scheme}://{site.netloc}")
    return Relying(rp_id=hostname, origin=f"{request.scheme}://{host}")


def user_handle(user: User) -> bytes:
    """The opaque id the authenticator keeps for the account (no email, no name)."""
    return hashlib.sha256(f"supportal-passkey-user:{user.pk}".encode()).digest()


def _remember_challenge(request: HttpRequest, purpose: str, challenge: bytes) -> None:
    request.session[_CHALLENGE] = {
        "purpose": purpose,
        "value": bytes_to_base64url(challenge),
        "at": int(time.time()),
    }


def _take_challenge(request: HttpRequest, purpose: str) -> bytes:
    """The challenge issued for `purpose`, removed from the session so it works once."""
    saved = request.session.pop(_CHALLENGE, None)
    if (
        not isinstance(saved, dict)
        or saved.get("purpose") != purpose
        or time.time() - saved.get("at", 0) > CHALLENGE_AGE
    ):
        raise PasskeyError(_("This passkey request has expired. Please try again."))
    return base64url_to_bytes(saved["value"])


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in passkey.transports.split(","):
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


# --- Registering -------------------------------------------------------------------------------


def registration_options(request: HttpRequest) -> str:
    """Options for navigator.credentials.create(), as JSON; the challenge goes to the session."""
    user: User = request.user  # type: ignore[assignment]
    party = relying_party(request)
    options = generate_registration_options(
        rp_id=party.rp_id,
        rp_name=RP_NAME,
        user_id=user_handle(user),
        user_name=user.email,
        user_display_name=user.name or user.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in user.passkeys.all()],
    )
    _remember_challenge(request, REGISTER, options.challenge)
    return options_to_json(options)


@transaction.atomic
def passkey_add(*, request: HttpRequest, name: str, credential: Any) -> Passkey:
    """Checks the browser's answer to the registration options and keeps the new passkey."""
    user: User = request.user  # type: ignore[assignment]
    challenge = _take_challenge(request, REGISTER)
    party = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=party.rp_id,
            expected_origin=party.origin,
            require_user_verification=True,
        )
    except Exception as error:  # py_webauthn raises several types for a bad answer
        raise PasskeyError(
            _("Your browser's answer could not be verified, so no passkey was added.")
        ) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise PasskeyError(_("This passkey is already registered."))
    transports = ""
    if isinstance(credential, dict):
        given = credential.get("response", {}).get("transports") or []
        if isinstance(given, list):
            transports = ",".join(str(item) for item in given)[:200]
    passkey = Passkey.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
    )
    audit_record(action="passkey.add", request=request, target=passkey, after={"name": name})
    return passkey


@transaction.atomic
def passkey_rename(*, request: HttpRequest, passkey: Passkey, name: str) -> None:
    before = passkey.name
    passkey.name = name
    passkey.save(update_fields=["name"])
    audit_record(
        action="passkey.rename",
        request=request,
        target=passkey,
        before={"name": before},
        after={"name": name},
    )


@transaction.atomic
def passkey_remove(*, request: HttpRequest, passkey: Passkey) -> None:
    audit_record(
        action="passkey.remove",
        request=request,
        target=passkey,
        before={"name": passkey.name, "created_at": passkey.created_at.isoformat()},
    )
    passkey.delete()


def get_passkey_for(request: HttpRequest, pk: int) -> Passkey:
    """One of the signed-in person's own passkeys; 404 for anyone else's."""
    passkey = Passkey.objects.filter(pk=pk, user_id=request.user.pk).first()
    if passkey is None:
        raise Http404
    return passkey


# --- Signing in and confirming -----------------------------------------------------------------


def authentication_options(request: HttpRequest, *, purpose: str) -> str:
    """Options for navigator.credentials.get(). Signing in names no account (the passkey is
    discoverable); confirming lists the signed-in person's passkeys."""
    allowed: list[PublicKeyCredentialDescriptor] = []
    if purpose == CONFIRM:
        allowed = [_descriptor(passkey) for passkey in request.user.passkeys.all()]  # type: ignore[union-attr]
        if not allowed:
            raise PasskeyError(_("You have no passkeys yet."))
    options = generate_authentication_options(
        rp_id=relying_party(request).rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _remember_challenge(request, purpose, options.challenge)
    return options_to_json(options)


def _credential_id(credential: Any) -> str:
    if isinstance(credential, dict):
        raw = credential.get("rawId") or credential.get("id")
        if isinstance(raw, str) and raw:
            try:
                return bytes_to_base64url(base64url_to_bytes(raw))
            except ValueError:
                pass
    raise PasskeyError(_("Your browser's answer could not be verified. Please try again."))


@transaction.atomic
def passkey_authenticate(
    *, request: HttpRequest, credential: Any, purpose: str, user: User | None = None
) -> Passkey:
    """Checks an answer to authentication options and returns the passkey used. With `user`
    (confirming), the passkey must be theirs. Updates the passkey's sign count and last use."""
    challenge = _take_challenge(request, purpose)
    if isinstance(credential, str):
        try:
            credential = json.loads(credential)
        except ValueError:
            credential = None
    credential_id = _credential_id(credential)
    passkey = (
        Passkey.objects.select_for_update()
        .select_related("user")
        .filter(credential_id=credential_id)
        .first()
    )
    if passkey is None or (user is not None and passkey.user_id != user.pk):
        raise PasskeyError(
            _(
                "This passkey is not registered here. It may have been removed; "
                "sign in with your password instead."
            )
        )
    if not passkey.user.is_active:
        raise PasskeyError(_("This account is deactivated."))
    handle = credential.get("response", {}).get("userHandle")
    if handle and handle != bytes_to_base64url(user_handle(passkey.user)):
        raise PasskeyError(_("Your browser's answer could not be verified. Please try again."))
    party = relying_party(request)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=party.rp_id,
            expected_origin=party.origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except Exception as error:  # py_webauthn raises several types for a bad answer
        raise PasskeyError(
            _("Your browser's answer could not be verified. Please try again.")
        ) from error
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey
