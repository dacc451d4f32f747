"""Asks signed-in people to accept a new privacy policy or terms version at their next page view.

Cheap by design: the versions people must accept live in a per-process copy (legal.current), and
a session that has been checked against them holds their token, so a page view of someone who
has accepted costs no query. Only the first page view after sign-in, or after a new version that
requires acceptance, looks in the database (one query).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from supportal.legal.current import current
from supportal.legal.services import pending_for

SESSION_KEY = "legal_accepted"

# Under a language prefix, these are never redirected: the policy pages themselves, their
# settings pages (an admin who has just published can still correct it), the account pages
# (signing in and out, two-factor steps, security settings), so nobody is stuck, and the
# accessibility statement, so a barrier on the acceptance page can still be reported.
EXEMPT_PREFIXES = (
    "/legal/",
    "/privacy/",
    "/terms/",
    "/accessibility/",
    "/agent/manage/legal/",
    "/accounts/",
)


def _is_page_view(request: HttpRequest) -> bool:
    """A GET of an HTML page a person navigates to, as opposed to htmx, JSON, static files or
    the unprefixed service URLs (health checks, i18n, media, inbound mail, security.txt)."""
    if request.method != "GET" or "HX-Request" in request.headers:
        return False
    destination = request.headers.get("Sec-Fetch-Dest")
    if destination and destination != "document":
        return False
    accept = request.headers.get("Accept")
    if accept and "text/html" not in accept:
        return False
    first, _slash, rest = request.path_info.lstrip("/").partition("/")
    if first not in settings.LANGUAGE_CODES:
        return False
    return not f"/{rest}".startswith(EXEMPT_PREFIXES)


class PolicyAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and _is_page_view(request):
            token = current().token
            if token and request.session.get(SESSION_KEY) != token:
                if pending_for(user):
                    query = urlencode({"next": request.get_full_path()})
                    return HttpResponseRedirect(f"{reverse('legal:accept')}?{query}")
                request.session[SESSION_KEY] = token
        return self.get_response(request)
