"""Throttling in the shared cache: login failures per email and client address, and a simple
per-address rate limit for actions that send mail to addresses anyone can type."""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

# One address may try many accounts (an office behind one NAT), so its limit is higher.
_PER_ADDRESS_FACTOR = 4


def _keys(request: HttpRequest, email: str) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [
        (f"login-fail:email:{digest}", limit),
        (f"login-fail:ip:{address}", limit * _PER_ADDRESS_FACTOR),
    ]


def seconds_locked(request: HttpRequest, email: str) -> int:
    """How long sign-in stays refused for this email/address, 0 when it is allowed."""
    cache = caches[settings.SHARED_CACHE]
    now = time.time()
    wait = 0.0
    for key, limit in _keys(request, email):
        failures = [t for t in cache.get(key, []) if t > now - settings.LOGIN_FAILURE_WINDOW]
        if len(failures) >= limit:
            wait = max(wait, failures[-limit] + settings.LOGIN_FAILURE_WINDOW - now)
    return math.ceil(wait)


def record_failure(request: HttpRequest, email: str) -> None:
    cache = caches[settings.SHARED_CACHE]
    now = time.time()
    for key, limit in _keys(request, email):
        failures = [t for t in cache.get(key, []) if t > now - settings.LOGIN_FAILURE_WINDOW]
        failures.append(now)
        cache.set(key, failures[-limit * 2 :], settings.LOGIN_FAILURE_WINDOW)


def clear_failures(request: HttpRequest, email: str) -> None:
    cache = caches[settings.SHARED_CACHE]
    # Only the email's count: the address's keeps counting failures on other accounts.
    email_key, _limit = _keys(request, email)[0]
    cache.delete(email_key)


def rate_limited(request: HttpRequest, action: str, *, limit: int, window: int) -> bool:
    """Counts one `action` from this client address; True when it is over `limit` per
    `window` seconds (the action should then be refused)."""
    cache = caches[settings.SHARED_CACHE]
    now = time.time()
    key = f"rate:{action}:{request.META.get('REMOTE_ADDR', '')}"
    hits = [t for t in cache.get(key, []) if t > now - window]
    if len(hits) >= limit:
        return True
    hits.append(now)
    cache.set(key, hits, window)
    return False
