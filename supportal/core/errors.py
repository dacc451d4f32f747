"""Server errors to Sentry (or any server that speaks its protocol), when SENTRY_DSN is set.

settings.py calls `sentry_init` while it loads, so the web processes and the huey worker both
report: an exception a view does not handle (the Django integration), an ERROR log line (the
logging integration), and a task that fails in the worker (the huey integration).

What leaves the machine is decided here, in `scrub_event`, not by the SDK's defaults:

- the user is their id only (no email, name, username or IP address);
- the request keeps its method, a few harmless headers and its URL *route*
  (`/en/requests/{number}/`, not `/en/requests/1042/?q=...`): paths carry secrets (password
  reset and download tokens, the inbound mail secret) and query strings carry search words. The
  request id tag finds the full request line in our own log;
- no cookies, body, environment (REMOTE_ADDR), query string, local variables or User-Agent;
- email addresses in exception messages, log messages and breadcrumbs become "[email]", and
  breadcrumbs lose their data and query strings;
- the Redis integration is off: its breadcrumbs name cache keys, and a cached session's key is
  the session id.

This module imports nothing of Django's at load time: settings.py imports it.
"""

from __future__ import annotations

import math
import re
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

from supportal.core.logging import request_id_var
from supportal.lib.env import ConfigError

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Kept because they help to read an error and say nothing about the person.
SAFE_HEADERS = {"host", "content-type", "content-length", "accept", "x-request-id"}
_ROUTE_PARAMETER = re.compile(r"<(?:[a-z]+:)?(\w+)>")


def default_release() -> str:
    try:
        return f"supportal@{metadata.version('supportal')}"
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "supportal@unknown"


def sample_rate(name: str, raw: str) -> float:
    """A fraction between 0 and 1 from an environment variable's text (RUM_SAMPLE_RATE, ...)."""
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise ConfigError(f"{name} must be a number between 0 and 1, got {raw!r}")
    return value


def check_dsn(dsn: str) -> None:
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        Dsn(dsn)
    except BadDsn as error:
        raise ConfigError(f"SENTRY_DSN is not a Sentry DSN ({error})") from None


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.huey import HueyIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    off = {"mode": "off"}
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        # What send_default_pii=False meant, category by category (the SDK deprecates that
        # switch for this one): no user identity, cookies, bodies, query strings, SQL
        # parameters, task arguments or local variables (which hold passwords and messages).
        data_collection={
            "user_info": False,
            "cookies": off,
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(SAFE_HEADERS)}},
            "http_bodies": [],
            "url_query_params": off,
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        integrations=[DjangoIntegration(), HueyIntegration()],
        # Its breadcrumbs and spans name each key, and a cached session's key is its id.
        disabled_integrations=[RedisIntegration()],
    )


# --- What an event may carry ---------------------------------------------------------------------


def _scrub_text(value: Any) -> Any:
    return EMAIL.sub("[email]", value) if isinstance(value, str) else value


def _current_request() -> Any:
    from supportal.audit.context import current_request

    return current_request.get()


def _user_id(request: Any) -> str | None:
    """The id of the signed-in user, without a query if the request has not loaded its user
    (then nobody needed it, and neither do we)."""
    user = getattr(request, "_cached_user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def _route(event: dict[str, Any], request: Any) -> str | None:
    """The URL pattern the request matched ("/en/accounts/reset/{uidb64}/{token}/")."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + _ROUTE_PARAMETER.sub(r"{\1}", match.route)
    # Before URL resolution (a middleware failed): the SDK's own guess, if it made one.
    transaction = event.get("transaction")
    if event.get("transaction_info", {}).get("source") == "route" and transaction:
        return _ROUTE_PARAMETER.sub(r"{\1}", str(transaction))
    return None


def _scrub_request(event: dict[str, Any], request: Any) -> None:
    data = event.get("request")
    if not isinstance(data, dict):
        return
    kept: dict[str, Any] = {"method": data.get("method")}
    url = urlsplit(str(data.get("url") or ""))
    route = _route(event, request)
    if url.scheme and url.netloc:
        kept["url"] = f"{url.scheme}://{url.netloc}{route or '/[path]'}"
    headers = data.get("headers")
    if isinstance(headers, dict):
        kept["headers"] = {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
    event["request"] = kept


def _scrub_exceptions(event: dict[str, Any]) -> None:
    for exception in (event.get("exception") or {}).get("values") or []:
        exception["value"] = _scrub_text(exception.get("value"))
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def _without_query(text: str) -> str:
    return re.sub(r"\?\S*", "?[query]", text)


def _scrub_spans(event: dict[str, Any]) -> None:
    # Traces only (SENTRY_TRACES_SAMPLE_RATE above 0): outgoing HTTP calls name their URLs.
    for span in event.get("spans") or []:
        if isinstance(span.get("description"), str):
            span["description"] = _scrub_text(_without_query(span["description"]))
        span.pop("data", None)


def _scrub_breadcrumbs(event: dict[str, Any]) -> None:
    breadcrumbs = event.get("breadcrumbs")
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values or []:
        # Request log lines hold full paths with query strings; outgoing HTTP calls hold signed
        # URLs. The message says what happened; the data is left here.
        message = crumb.get("message")
        if isinstance(message, str):
            crumb["message"] = _scrub_text(_without_query(message))
        crumb.pop("data", None)


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """before_send: the event as it may leave the machine (see the module's docstring)."""
    request = _current_request()
    user_id = _user_id(request) if request is not None else None
    if user_id:
        event["user"] = {"id": user_id}
    else:
        event.pop("user", None)
    request_id = request_id_var.get()
    if request_id != "-":
        event.setdefault("tags", {})["request_id"] = request_id
    _scrub_request(event, request)
    _scrub_exceptions(event)
    _scrub_breadcrumbs(event)
    _scrub_spans(event)
    if "message" in event:
        event["message"] = _scrub_text(event["message"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry["message"] = _scrub_text(logentry.get("message"))
        logentry["formatted"] = _scrub_text(logentry.get("formatted"))
        params = logentry.get("params")
        if isinstance(params, list | tuple):
            logentry["params"] = [_scrub_text(p) for p in params]
    return event
