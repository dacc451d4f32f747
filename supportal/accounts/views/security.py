"""The signed-in person's Security page: two-factor sign-in, passkeys and sessions. Each section
is built by its own module and rendered by its own fragment."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from supportal.accounts.access import signed_in
from supportal.accounts.views import passkeys, sessions, twofactor


@signed_in
def security(request: HttpRequest) -> HttpResponse:
    context = {
        **twofactor.section_context(request),
        **passkeys.section_context(request),
        **sessions.section_context(request),
    }
    return render(request, "accounts/security.html", context)
