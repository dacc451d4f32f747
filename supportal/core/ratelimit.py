"""Abuse protection: one counter mechanism for every limit (sign-in failures, sign-up, password
reset, two-factor codes, re-authentication, the request form, search, suggestions, inbound mail).

Each limit has a name and a rate in settings.RATE_LIMITS ("search": "120/m"). A counter is kept
per limit and per identity (the client address, an email address, an account, a mailbox secret)
in the shared cache, so every process counts together. A window starts at an identity's first
action and lasts the rate's window; the count goes up atomically (add, then incr, on Redis; one
upsert statement on the database cache's table), so concurrent processes cannot lose counts.

Views use the decorator (`@rate_limit("search")`): over the limit they answer 429 with
Retry-After and a translated page (a short fragment for htmx). Forms and flows that must keep
their own answer (the sign-in form's message) call `hit`/`seconds_left` directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext

from supportal.lib.rates import Rate, parse_rate

V = TypeVar("V")


@lru_cache(maxsize=64)
def _parse(text: str) -> Rate:
    return parse_rate(text)


def rate(name: str) -> Rate:
    """The configured rate of a limit; a name missing from settings is a programming error."""
    value = settings.RATE_LIMITS[name]
    return value if isinstance(value, Rate) else _parse(value)


@lru_cache(maxsize=8)
def _proxies(allowed: tuple[str, ...]) -> tuple[bool, tuple[Any, ...]]:
    """FORWARDED_ALLOW_IPS as (every address, networks); entries we cannot read are ignored."""
    networks = []
    for item in allowed:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue
    return "*" in allowed, tuple(networks)


def _trusted(raw: str) -> bool:
    everyone, networks = _proxies(tuple(settings.FORWARDED_ALLOW_IPS))
    if everyone:
        return True
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return False
    return any(address in network for network in networks)


def _forwarded_client(request: HttpRequest, raw: str) -> str:
    """Behind a reverse proxy the connection comes from the proxy: when it is one of
    FORWARDED_ALLOW_IPS (as gunicorn trusts it for the scheme), the client is the nearest
    address in X-Forwarded-For that is not a trusted proxy. Anyone else's header is ignored."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not _trusted(raw):
        return raw
    for hop in reversed([part.strip() for part in forwarded.split(",")[-16:]]):
        if hop and not _trusted(hop):
            return hop
    return raw


def client_address(request: HttpRequest) -> str:
    """The address to count under: the connection's, or behind a trusted reverse proxy the
    client it names. An IPv6 client usually owns a whole /64, so it counts as one address
    (otherwise it could step through 2^64 of them)."""
    raw = _forwarded_client(request, request.META.get("REMOTE_ADDR", "") or "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def email_identity(email: str) -> str:
    return "email:" + email.strip().lower()


def _cache() -> BaseCache:
    return caches[settings.SHARED_CACHE]


def _key(name: str, identity: str) -> str:
    # Hashed: identities hold email addresses and secrets, and cache keys must stay short.
    digest = hashlib.sha256(identity.encode("utf-8", "replace")).hexdigest()[:32]
    return f"rl:{name}:{digest}"


def _remaining(start: float, window: int, now: float) -> int:
    return max(1, math.ceil(start + window - now))


# --- Counting --------------------------------------------------------------------------------


# The database cache has no atomic increment (its incr reads, then writes, and resets the
# expiry), so counters in its table are kept by one statement of our own: an upsert that starts
# a window or adds one, and returns the count and the window's end. Its rows hold a plain count
# under keys of our own ("rl:..."), which nothing reads through the cache API.
_UPSERT = """
INSERT INTO {table} (cache_key, value, expires) VALUES (%s, '1', %s)
ON CONFLICT (cache_key) DO UPDATE SET
    value = CASE WHEN {table}.expires <= %s THEN '1'
        ELSE CAST(CAST({table}.value AS INTEGER) + 1 AS TEXT) END,
    expires = CASE WHEN {table}.expires <= %s THEN excluded.expires ELSE {table}.expires END
RETURNING value, expires
"""


def _when(value: Any) -> float:
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return float(value.timestamp())


def _database(cache: BaseDatabaseCache) -> tuple[Any, str]:
    connection = connections[router.db_for_write(cache.cache_model_class)]
    return connection, connection.ops.quote_name(cache._table)


def _stamp(connection: Any, seconds: float) -> Any:
    # Whole seconds, as the cache itself stores them, so SQLite's text times compare in order.
    moment = dt.datetime.fromtimestamp(math.floor(seconds), tz=dt.UTC)
    return connection.ops.adapt_datetimefield_value(moment)


def _count_in_database(
    cache: BaseDatabaseCache, key: str, window: int, now: float
) -> tuple[int, float]:
    connection, table = _database(cache)
    current = _stamp(connection, now)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT.format(table=table), [key, _stamp(connection, now + window), current, current]
        )
        value, expires = cursor.fetchone()
    return int(value), _when(expires) - window


def _read_in_database(
    cache: BaseDatabaseCache, key: str, window: int, now: float
) -> tuple[int, float]:
    connection, table = _database(cache)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value, expires FROM {table} WHERE cache_key = %s AND expires > %s",  # noqa: S608
            [key, _stamp(connection, now)],
        )
        row = cursor.fetchone()
    return (int(row[0]), _when(row[1]) - window) if row else (0, now)


def _count_atomic(cache: BaseCache, key: str, window: int, now: float) -> tuple[int, float]:
    # Redis (and the per-process memory cache): add creates the counter with the window as its
    # lifetime, incr adds one without touching the lifetime. The start sits beside it for the
    # time left; a start that has passed its window (a clock moved on) begins a new one.
    start_key = f"{key}:t"
    for _attempt in range(2):
        if cache.add(key, 1, window):
            cache.set(start_key, now, window)
            return 1, now
        start = cache.get(start_key)
        if start is not None and float(start) + window <= now:
            cache.delete_many([key, start_key])
            continue
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            continue
        return count, now if start is None else float(start)
    return 1, now  # pragma: no cover - the counter vanished twice in a row; let it pass


def _count(key: str, window: int, now: float) -> tuple[int, float]:
    cache = _cache()
    if isinstance(cache, BaseDatabaseCache):
        return _count_in_database(cache, key, window, now)
    return _count_atomic(cache, key, window, now)


def _read(key: str, window: int, now: float) -> tuple[int, float]:
    cache = _cache()
    if isinstance(cache, BaseDatabaseCache):
        return _read_in_database(cache, key, window, now)
    values = cache.get_many([key, f"{key}:t"])
    start = values.get(f"{key}:t")
    if key not in values or (start is not None and float(start) + window <= now):
        return 0, now
    return int(values[key]), now if start is None else float(start)


def hit(name: str, identities: Iterable[str], *, now: float | None = None) -> int:
    """Counts one action of limit `name` for each identity. Returns 0 when it is allowed, else
    the seconds until the busiest identity's window ends (the action should be refused)."""
    limit = rate(name)
    now = time.time() if now is None else now
    wait = 0
    for identity in identities:
        count, start = _count(_key(name, identity), limit.window, now)
        if count > limit.limit:
            wait = max(wait, _remaining(start, limit.window, now))
    return wait


def seconds_left(name: str, identities: Iterable[str], *, now: float | None = None) -> int:
    """Without counting: seconds until an identity that has used up limit `name` may act
    again, 0 when none has."""
    limit = rate(name)
    now = time.time() if now is None else now
    wait = 0
    for identity in identities:
        count, start = _read(_key(name, identity), limit.window, now)
        if count >= limit.limit:
            wait = max(wait, _remaining(start, limit.window, now))
    return wait


def reset(name: str, identities: Iterable[str]) -> None:
    keys = [_key(name, identity) for identity in identities]
    cache = _cache()
    if isinstance(cache, BaseDatabaseCache):
        connection, table = _database(cache)
        with connection.cursor() as cursor:
            for key in keys:
                cursor.execute(f"DELETE FROM {table} WHERE cache_key = %s", [key])  # noqa: S608
        return
    cache.delete_many([*keys, *(f"{key}:t" for key in keys)])


# --- Views -----------------------------------------------------------------------------------


def identities(
    request: HttpRequest, *, by: str = "address", field: str | None = None, scope: str = ""
) -> list[str]:
    """Who an action counts against: the client address, or (by="user") the account when
    signed in; plus, with `field`, the value posted in that field (an email address)."""
    user = getattr(request, "user", None)
    if by == "user" and user is not None and user.is_authenticated:
        found = [f"user:{user.pk}"]
    else:
        found = [f"address:{client_address(request)}"]
    if field:
        value = request.POST.get(field, "").strip().lower()[:254]
        if value:
            found.append(f"{field}:{value}")
    return [f"{scope}:{identity}" if scope else identity for identity in found]


def check(
    request: HttpRequest,
    name: str,
    *,
    by: str = "address",
    field: str | None = None,
    scope: str = "",
) -> int:
    """Counts one action of this request under limit `name`: 0 when allowed, else the seconds
    to wait. For form-level checks that keep their own answer."""
    return hit(name, identities(request, by=by, field=field, scope=scope))


def refused_on_form(request: HttpRequest, form: Any, name: str, *, scope: str = "") -> bool:
    """Counts one action under limit `name` (per address); over it, puts the translated "try
    again in ..." error on the form, which is shown again with what was typed. True then."""
    wait = check(request, name, scope=scope)
    if wait:
        message = gettext("Too many requests from your network. Please try again in %(wait)s.")
        form.add_error(None, message % {"wait": wait_in_words(wait)})
        return True
    return False


def wait_in_words(seconds: int) -> str:
    """ "3 minutes", in the active language; rounded up to whole minutes (or hours from two
    hours on), so nobody comes back too early. Django's own catalog translates these words."""
    if seconds < 2 * 3600:
        count = max(1, math.ceil(seconds / 60))
        return ngettext("%(num)d minute", "%(num)d minutes", count) % {"num": count}
    count = math.ceil(seconds / 3600)
    return ngettext("%(num)d hour", "%(num)d hours", count) % {"num": count}


def too_many_requests(request: HttpRequest, seconds: int) -> HttpResponse:
    """429 with Retry-After: the site's page, or a short fragment for an htmx request (the page
    config lets htmx swap it in where the answer would have gone)."""
    template = "errors/_429.html" if request.headers.get("HX-Request") else "errors/429.html"
    context = {"wait": wait_in_words(seconds), "seconds": seconds}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def rate_limit(
    name: str,
    *,
    methods: Iterable[str] | None = None,
    by: str = "address",
    field: str | None = None,
    key: Callable[..., Iterable[str]] | None = None,
    respond: Callable[[HttpRequest, int], HttpResponse] | None = None,
) -> Callable[[V], V]:
    """Limits a view (function or class) under limit `name`.

    methods: only these count (e.g. ("POST",) for a form: showing it is free).
    by/field: see `identities`. key: a function (request, *args, **kwargs) -> identities, in
    place of by/field (the inbound endpoint counts per mailbox secret). respond: builds the 429
    answer instead of the page (a JSON endpoint).
    """
    counted = {method.upper() for method in methods} if methods else None

    def decorator(view: V) -> V:
        if isinstance(view, type):
            return method_decorator(decorator, name="dispatch")(view)  # type: ignore[arg-type]

        @wraps(view)  # type: ignore[arg-type]
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if counted is None or request.method in counted:
                if key is not None:
                    found = list(key(request, *args, **kwargs))
                else:
                    found = identities(request, by=by, field=field)
                wait = hit(name, found)
                if wait:
                    return (respond or too_many_requests)(request, wait)
            return view(request, *args, **kwargs)  # type: ignore[operator]

        return wrapper  # type: ignore[return-value]

    return decorator


class LocalBudget:
    """Requests per client address counted in this process's memory (fixed windows): the
    cheap first line against one address flooding plain pages (FloodGuardMiddleware). Each
    process counts on its own, so N web processes let an address make up to N times the
    limit; no database or cache is touched, so a refused request costs microseconds."""

    most_addresses = 100_000

    def __init__(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window
        self.counts: dict[str, list[float]] = {}  # address -> [window start, count]

    def take(self, address: str, now: float) -> int:
        """0 when the request may go on, else the seconds until the address's window ends."""
        entry = self.counts.get(address)
        if entry is None or now - entry[0] >= self.window:
            if len(self.counts) >= self.most_addresses:
                self.counts = {
                    key: value for key, value in self.counts.items() if now - value[0] < self.window
                }
            self.counts[address] = [now, 1]
            return 0
        entry[1] += 1
        if entry[1] <= self.limit:
            return 0
        return max(1, math.ceil(entry[0] + self.window - now))
