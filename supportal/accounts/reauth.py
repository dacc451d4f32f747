"""Re-authentication: sensitive actions need a password or passkey check within the last ten
minutes. Signing in counts; so does confirming on the re-authentication page."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

REAUTH_WINDOW = 600  # seconds
_SESSION_KEY = "auth_fresh_at"


def mark_fresh(request: HttpRequest) -> None:
    """The person has just proved who they are (password, passkey or sign-in)."""
    request.session[_SESSION_KEY] = int(time.time())


def is_fresh(request: HttpRequest) -> bool:
    at = request.session.get(_SESSION_KEY)
    return isinstance(at, int) and time.time() - at < REAUTH_WINDOW


def reauth_url(next_url: str) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_url})}"


def recent_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Put under the access rule: a signed-in person who has not proved who they are in the last
    ten minutes is sent to confirm first, then back here (a GET of the same address)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_fresh(request):
            return HttpResponseRedirect(reauth_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper
