from __future__ import annotations

import logging
import re
import time
import uuid
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve
from django.utils import timezone

from supportal.core.logging import request_id_var

logger = logging.getLogger("supportal.request")

GetResponse = Callable[[HttpRequest], HttpResponse]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestLogMiddleware:
    """One log line per request, tagged with a request id (taken from X-Request-ID or made)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            logger.info(
                "%s %s %s %.1fms user=%s",
                request.method,
                request.get_full_path()[:500],
                response.status_code,
                (time.perf_counter() - started) * 1000,
                user.pk if user is not None and user.is_authenticated else "-",
            )
            return response
        finally:
            request_id_var.reset(token)


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
