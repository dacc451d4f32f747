from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from supportal.accounts.access import admin_required, public
from supportal.core.maintenance import open_during_maintenance
from supportal.monitoring.metrics import exposition
from supportal.monitoring.status import site_status

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def _from_allowed_address(request: HttpRequest) -> bool:
    # A request relayed by a reverse proxy on an allowed address (often loopback) comes from
    # someone else: only a direct connection counts.
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def _has_token(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@open_during_maintenance
@public  # its own rule: an allowed address or the token; anyone else gets the site's 404
@csrf_exempt  # changes nothing and takes no POST; a CSRF 403 would tell the address exists
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrapes this. A refusal is the ordinary not-found page and writes nothing but
    the request's own log line, so a scanner or a misconfigured scraper floods no log."""
    if not (_from_allowed_address(request) or _has_token(request)):
        # Exactly the page of an address that does not exist, which names no route either.
        request.resolver_match = None
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


@admin_required
@require_GET
@never_cache
def status(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/status.html",
        {"status": site_status(), "crumbs": [(_("Status"), None)]},
    )
