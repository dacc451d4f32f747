"""The beacon endpoint (POST /rum/) and the admins' performance page.

The endpoint is public and exempt from CSRF: CSRF protects what a request does with the
visitor's session, and this endpoint uses none (BeaconMiddleware answers it before the session
and authentication middleware run; the cookies a same-origin sendBeacon carries are never
read). A forged cross-site beacon can do nothing that anyone cannot do with curl: add one page
view's timings, within the checks and the rate limit.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from supportal.accounts.access import admin_required, public
from supportal.core import ratelimit
from supportal.rum import selectors, services
from supportal.rum.beacons import BeaconError, parse_beacon
from supportal.rum.metrics import METRICS

# Beacons come from everyone's browsers; a bad one is logged at debug level only, so that a
# flood of them cannot flood the log.
logger = logging.getLogger(__name__)

MAX_BODY = 8 * 1024
CONTENT_TYPES = ("text/plain", "application/json")  # what sendBeacon sends for a string


def _refused(status: int, reason: str) -> HttpResponse:
    logger.debug("beacon refused (%s): %s", status, reason)
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    response = HttpResponse(status=429, content_type="text/plain")
    response["Retry-After"] = str(seconds)
    return response


@public
@csrf_exempt
@require_POST
@ratelimit.rate_limit("rum", respond=_too_many)
def beacon(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _refused(413, "too large")
    if request.content_type not in CONTENT_TYPES:
        return _refused(415, "send text/plain or application/json")
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _refused(413, "too large")
    try:
        parsed = parse_beacon(body, page_types=services.page_types())
    except BeaconError as error:
        return _refused(400, str(error))
    services.beacon_record(beacon=parsed)
    return HttpResponse(status=204, content_type="text/plain")


@admin_required
@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    context = {
        "pages": selectors.performance_summary(),
        "errors": selectors.top_errors(),
        "metrics": [METRICS[key] for key in selectors.SHOWN],
        "days": selectors.DAYS,
        "sample_percent": round(settings.RUM_SAMPLE_RATE * 100, 2),
        "crumbs": [(_("Inbox"), reverse("agent:inbox")), (_("Performance"), None)],
    }
    return render(request, "rum/performance.html", context)
