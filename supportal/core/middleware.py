from __future__ import annotations

import logging
import re
import time
import uuid
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject, empty
from django.utils.html import escape
from django.utils.translation import gettext

from supportal.core.logging import QueryCounter, request_id_var
from supportal.core.ratelimit import LocalBudget, client_address, rate, wait_in_words
from supportal.monitoring.metrics import observe_request

logger = logging.getLogger("supportal.request")

GetResponse = Callable[[HttpRequest], HttpResponse]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _static_prefix() -> str:
    """STATIC_URL as a path prefix ("/static/"), for the middlewares that treat it apart."""
    return "/" + (settings.STATIC_URL or "/static/").lstrip("/")


class HealthCheckMiddleware:
    """/healthz ("the process answers") by its view, before anything else: load balancers
    poll it every few seconds on every process, so it is neither logged nor counted for
    /metrics and costs what a minimal Django view costs."""

    def __init__(self, get_response: GetResponse) -> None:
        from supportal.core.views import healthz  # the views need the apps loaded

        self.get_response = get_response
        self.healthz = healthz

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return self.healthz(request)
        return self.get_response(request)


class FloodGuardMiddleware:
    """A budget of requests per client address and process (RATE_LIMITS "requests"), checked
    before the page cache, sessions and the database: one address flooding even cached pages
    is refused with a bare 429 instead of holding the workers everyone else waits for. Static
    files (hashed, cached by browsers) do not count. The per-action limits (search, sign-in,
    ...) stay the protection of costly actions; a reverse proxy's per-address limit in front
    does the same job before a worker is taken (docs/deployment.md)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        budget = rate("requests")
        self.budget = LocalBudget(budget.limit, budget.window)
        self.static_url = _static_prefix()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.static_url):
            return self.get_response(request)
        seconds = self.budget.take(client_address(request), time.monotonic())
        if not seconds:
            return self.get_response(request)
        request.flood_refused = True  # type: ignore[attr-defined]
        return _flood_refusal(request, seconds)


def _flood_refusal(request: HttpRequest, seconds: int) -> HttpResponse:
    """The 429 page's words, in the visitor's language, without templates or the database."""
    language = translation.get_language_from_request(request, check_path=True)
    with translation.override(language):
        title = gettext("Too many attempts")
        wait = gettext("Please wait %(wait)s and try again.") % {"wait": wait_in_words(seconds)}
        html_language = translation.get_language_info(language)["code"]
    body = (
        f'<!doctype html><html lang="{escape(html_language)}"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><body><main><h1>{escape(title)}</h1>"
        f"<p>{escape(wait)}</p></main></body></html>"
    )
    response = HttpResponse(body, status=429, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


class RequestLogMiddleware:
    """One log line per request, tagged with a request id (taken from X-Request-ID or made),
    with its route, user, database queries and database time; the same figures are counted
    for /metrics (supportal/monitoring/metrics.py).

    It is the outermost middleware, so the queries of every other middleware count too.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.static_url = _static_prefix()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        queries = QueryCounter()
        # What connection.execute_wrapper() does, without its context manager's cost.
        wrappers = connections[DEFAULT_DB_ALIAS].execute_wrappers
        wrappers.append(queries)
        started = time.perf_counter()
        try:
            try:
                response = self.get_response(request)
            finally:
                wrappers.remove(queries)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            page_cache = response.get("X-Page-Cache")
            route = self._route(request, page_cache)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "%s %s %s %.1fms route=%s user=%s queries=%d db_ms=%.1f",
                    request.method,
                    request.get_full_path()[:500],
                    response.status_code,
                    seconds * 1000,
                    route,
                    _user_id(request),
                    queries.count,
                    queries.seconds * 1000,
                )
            observe_request(
                route=route,
                method=request.method or "",
                status=response.status_code,
                seconds=seconds,
                queries=queries.count,
                db_seconds=queries.seconds,
                page_cache=page_cache,
            )
            return response
        finally:
            request_id_var.reset(token)

    def _route(self, request: HttpRequest, page_cache: str | None) -> str:
        """The URL pattern's name, never the path (which would make a metric series per URL)."""
        match = request.resolver_match
        if match is not None:
            return match.view_name or "unnamed"
        if page_cache:  # answered from the page cache before the URL was resolved
            return "page_cache"
        if getattr(request, "flood_refused", False):
            return "flood_guard"
        if request.path_info.startswith(self.static_url):
            return "static"
        return "unmatched"


def _user_id(request: HttpRequest) -> str:
    """The signed-in user's id, without a query to find out: a user nobody looked at during the
    request (static files, the page cache) is logged as "-"."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        # A customer's page from their session's copy (core/personalcache) knows whose it is.
        return str(getattr(request, "page_cache_user", "-"))
    return str(user.pk) if user.is_authenticated else "-"


INBOUND_MAIL_PREFIX = "/mail/inbound/"


class RequestSizeLimitMiddleware:
    """Refuses request bodies over MAX_REQUEST_SIZE (MAIL_MAX_MB for inbound mail posted to
    /mail/inbound/) with 413 before anything reads them."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_SIZE
        if request.path.startswith(INBOUND_MAIL_PREFIX):
            # Raw email posted by a mail service: the endpoint's own limit (one source for both).
            from supportal.mail.views.inbound import body_limit

            limit = max(limit, body_limit())
        if length > limit:
            from supportal.core.views import request_too_large

            return request_too_large(request)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


_LANGUAGE_LIKE = re.compile(r"^/([a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})?)(/.*)?$")


class LanguageFallbackMiddleware:
    """An unknown language prefix (/fr/…) redirects to the same page in the default language."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        match = _LANGUAGE_LIKE.match(request.path_info)
        if not match or match.group(1).lower() in settings.LANGUAGE_CODES:
            return response
        target = f"/{settings.LANGUAGE_CODE}{match.group(2) or '/'}"
        try:
            resolve(target)
        except Resolver404:
            return response
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(target + (f"?{query}" if query else ""))


class TimezoneMiddleware:
    """Times show in the viewer's zone: the profile's, else the browser's (cookie).

    Visitors whose browser does not say get TIME_ZONE, the site's zone.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        name = user.time_zone if user.is_authenticated else request.COOKIES.get("tz", "")
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
