"""Sign-in, sign-in failure and sign-out, recorded from Django's auth signals, so every way of
signing in (password, a second factor, a passkey) is covered by whoever calls `login()`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from supportal.audit.services import audit_record


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Passkey sign-in says so on the request; password sign-in (with or without a code) does not.
    method = getattr(request, "auth_method", "") if request is not None else ""
    audit_record(action="auth.login", request=request, actor=user, target=user, note=method)


def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # signing out of no account
        return
    audit_record(action="auth.logout", request=request, actor=user, target=user)


def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    typed = str(credentials.get("username") or credentials.get("email") or "").strip().lower()
    # Who tried is unknown; the typed address names the account that was tried. It stands in
    # the "by" column (so the person filter finds attempts on an account) and in the note.
    audit_record(action="auth.login_failed", request=request, actor_label=typed, note=typed)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="audit:logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="audit:logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="audit:login_failed")
