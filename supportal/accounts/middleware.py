"""Applies the two-factor policy: staff who must set up a second factor can open nothing else
until they have (supportal/accounts/twofactor.py sets the session flag at sign-in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from supportal.accounts.twofactor import SETUP_REQUIRED_KEY

# What a person being made to set up two-factor sign-in may still open.
ALLOWED_VIEWS = frozenset(
    {
        "accounts:twofactor_setup",
        "accounts:reauth",
        "accounts:logout",
        "set_language",
        "healthz",
        "readyz",
    }
)


class TwoFactorSetupMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # No session cookie, no session to read: visitors cost nothing here.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        if not request.session.get(SETUP_REQUIRED_KEY):
            return None
        if not request.user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_VIEWS:
            return None
        return redirect("accounts:twofactor_setup")
