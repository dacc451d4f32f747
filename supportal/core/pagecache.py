"""The anonymous page cache: one stored copy per page, served before the rest of the stack.

Views that show the same page to every visitor (help center, articles, FAQ, announcements,
sitemap, feed, the home page) are marked with `cached_page`. For a request that carries no
session (no session cookie, no pending message) PageCacheMiddleware, just inside the request
log, looks the page up and answers from the stored copy: no session, CSRF, locale, view or
template work, and the body is stored gzip-compressed already. A miss runs the whole stack;
the marked view keeps its uncompressed body on the response and the middleware stores it
with the headers the stack added (CSP, X-Frame-Options, ...), so a hit answers the same.

The key holds everything a visitor's page depends on: the content version (changed by every
publish, supportal/helpcenter/cache.py), host and scheme, path and page number, the site
notice shown (and whether this visitor dismissed it), and the legal documents linked in the
footer. Not the visitor's time zone: a shared page shows its times in the site's zone, and
static/js/app.js rewrites them in the browser's own. A stored page holds no per-visitor
bytes (its forms carry no CSRF token: see `same_origin_post`), so a CDN or reverse proxy may
share it: it is sent with
`Cache-Control: public, max-age, s-maxage, stale-while-revalidate`, a weak ETag and
Last-Modified (answering 304), and `Vary: Accept-Encoding, Cookie`. Pages for a signed-in
user, and any response that sets a cookie, are `private, no-store`.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache, wraps
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.views.decorators.csrf import csrf_exempt

from supportal.core.middleware import GetResponse

logger = logging.getLogger(__name__)

# How long a stored copy lives here; a publish makes every copy stale long before.
STORE_SECONDS = 60 * 60
# Browsers may reuse a page for a minute; shared caches (CDN, nginx) for CDN_MAX_AGE seconds,
# and serve a stale copy while they fetch a new one.
BROWSER_MAX_AGE = 60
STALE_WHILE_REVALIDATE = 60
GZIP_MIN_LENGTH = 200

PUBLIC = "public, max-age={browser}, s-maxage={shared}, stale-while-revalidate={stale}"
PERSONAL = "private, no-store"
# A page for one visitor's own cookies (a dismissed notice, a time zone): not for shared caches.
VISITOR_OWN = "private, no-cache"
VARY = ("Accept-Encoding", "Cookie")

# Headers made per response, never stored with a page.
_NOT_STORED = frozenset(
    {
        "cache-control",
        "content-encoding",
        "content-length",
        "etag",
        "set-cookie",
        "vary",
        "x-page-cache",
        "x-request-id",
    }
)
_PAGE_QUERY = re.compile(r"^(?:page=\d{1,6})?$")
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
_CONDITIONAL = frozenset(
    {"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE"}
)
DISMISS_COOKIE = "notice_dismissed"
MAX_QUERY = 512
# A page's per-visitor bytes, put into its stored copy (see cached_page's `fill`).
Fill = Callable[[HttpRequest, HttpResponse, bytes, Any], "bytes | None"]


# --- Marking views -------------------------------------------------------------------------


def cached_page(
    view: Callable[..., HttpResponse] | None = None,
    *,
    query: tuple[str, ...] = (),
    fill: Fill | None = None,
) -> Any:
    """Marks a view whose page is the same for every visitor without a session.

    The view itself runs as before; on a visitor's 200 the uncompressed body is kept on the
    response for PageCacheMiddleware to store.

    query: the parameters the page may take (besides ?page=); each request's are put in a
    fixed order in the key, any other parameter sends the request through the stack.
    fill: for a page with a few per-visitor bytes (a CSRF token, a search's log number): the
    view stores its body with placeholders in `page_cache_body` (and what the fill needs in
    `page_cache_extra`), and `fill(request, response, body, extra)` puts this visitor's bytes
    in for every copy served, or returns None to send the request through the stack. Such
    pages are private to the visitor, never for shared caches.
    """
    if view is None:
        return lambda actual: cached_page(actual, query=query, fill=fill)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _is_visitor(request):
            # One copy for every visitor: times in the site's zone, shown in the visitor's own
            # by static/js/app.js (base.html names the zone in <meta name="render-zone">).
            with timezone.override(settings.TIME_ZONE):
                response = view(request, *args, **kwargs)
        else:
            response = view(request, *args, **kwargs)
        if fill is None:
            mark_response(request, response)
        return response

    wrapper.page_cache = True  # type: ignore[attr-defined]
    wrapper.page_cache_query = frozenset(query)  # type: ignore[attr-defined]
    wrapper.page_cache_fill = fill  # type: ignore[attr-defined]
    return wrapper


# The CSRF token of a visitor's form page, as stored: each answer puts the visitor's own in.
CSRF_PLACEHOLDER = b"__supportal_csrf_token__"
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
_CSRF = CsrfViewMiddleware(lambda request: HttpResponse())


def fill_csrf(request: HttpRequest, response: HttpResponse, body: bytes, extra: Any) -> bytes:
    """This visitor's CSRF token in the page, and their cookie, as CsrfViewMiddleware would:
    the cookie's secret when it is valid, else a new one."""
    _CSRF.process_request(request)
    token = get_token(request)
    _CSRF.process_response(request, response)
    return body.replace(CSRF_PLACEHOLDER, token.encode())


def cached_form_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A visitor's page whose forms post with a CSRF token (the sign-in form): stored with a
    placeholder for the token, and answered with the visitor's own (fill_csrf)."""

    @wraps(view)
    def with_placeholder(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and _is_visitor(request):
            if hasattr(response, "render"):
                response.render()  # a TemplateResponse: here, in the site's zone (cached_page)
            found = _CSRF_INPUT.search(response.content)
            if found is not None:
                template = response.content.replace(found.group(1), CSRF_PLACEHOLDER)
                response.page_cache_body = template  # type: ignore[attr-defined]
        return response

    return cached_page(with_placeholder, fill=fill_csrf)


def _is_visitor(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def mark_response(request: HttpRequest, response: HttpResponseBase) -> None:
    """For views that cannot be wrapped (the feed): keep the body for the page cache."""
    if response.status_code == 200 and not response.streaming and _is_visitor(request):
        response.page_cache_body = response.content  # type: ignore[attr-defined]


# --- Forms on shared pages -----------------------------------------------------------------


def _same_origin(request: HttpRequest, url: str) -> bool:
    try:
        host = request.get_host()
    except DisallowedHost:
        return False
    if url in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parts = urlsplit(url)
    return parts.scheme == request.scheme and parts.netloc == host


def is_same_origin_post(request: HttpRequest) -> bool:
    """Whether a browser says this POST comes from a page of this site.

    Fetch metadata first (Sec-Fetch-Site, sent by every current browser), then Origin (sent
    with every cross-origin POST since 2020), then Referer. A request with none of them does
    not come from a browser that a forging page could drive. The approach of Go 1.25's
    CrossOriginProtection and OWASP's "verifying origin with standard headers".
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin != "null" and _same_origin(request, origin)
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        return _same_origin(request, f"{parts.scheme}://{parts.netloc}")
    return True


def same_origin_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """CSRF protection for the forms on cached pages (vote, language, notice), without a token.

    A token would make each visitor's copy of the page different, so no cache could share
    it. These forms change nothing that a forged request could abuse beyond the browser's own
    origin check: the request must come from a page of this site, else the CSRF failure page.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and not is_same_origin_post(request):
            from supportal.core.views import csrf_failure

            logger.warning("cross-origin POST refused: %s", request.path)
            return csrf_failure(request, "cross-origin request")
        return view(request, *args, **kwargs)

    wrapper.same_origin_only = True  # type: ignore[attr-defined]
    return csrf_exempt(wrapper)


# --- The cache -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    key: str
    own: bool  # the page depends on this visitor's cookies: private, not for shared caches
    fill: Fill | None = None  # the page has per-visitor bytes (see cached_page)
    language: str = ""


# --- Where copies live --------------------------------------------------------------------------

# With Redis, copies are shared by every process there; each process also keeps the ones it
# served in its own memory for a few seconds, so a hit costs no round trip. Safe because a
# copy's key names everything it depends on (a new content version, notice or session state
# is a new key), and personal copies are checked against the database on every hit anyway.
LOCAL_SECONDS = 30
_local = LocMemCache("supportal-local-copies", {"OPTIONS": {"MAX_ENTRIES": 1000}})


def _shared_is_local() -> bool:
    return isinstance(caches["default"], LocMemCache)


def copy_get(key: str) -> Any:
    if _shared_is_local():
        return cache.get(key)
    value = _local.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            _local.set(key, value, LOCAL_SECONDS)
    return value


def copy_set(key: str, value: Any, seconds: int) -> None:
    cache.set(key, value, seconds)
    if not _shared_is_local():
        _local.set(key, value, min(seconds, LOCAL_SECONDS))


def forget_local_copies() -> None:
    """This process's own copies (tests, between one another)."""
    _local.clear()


class TaggedCopy:
    """A dataclass kept in the cache as a tagged tuple of plain values, not as the class: a
    copy stored by an older release (Redis outlives a deploy) unpickles anyway and, its tag
    or length not matching, is simply not used."""

    FORMAT: ClassVar[str] = ""

    def dump(self) -> tuple[Any, ...]:
        return (self.FORMAT, *(getattr(self, field.name) for field in fields(self)))  # type: ignore[arg-type]

    @classmethod
    def load(cls, value: Any) -> Self | None:
        size = len(fields(cls)) + 1  # type: ignore[arg-type]
        if isinstance(value, tuple) and len(value) == size and value[0] == cls.FORMAT:
            return cls(*value[1:])
        return None


@dataclass(frozen=True)
class Stored(TaggedCopy):
    body: bytes
    compressed: bytes | None
    headers: tuple[tuple[str, str], ...]
    etag: str
    modified: int
    extra: Any = None  # what a fill needs beside the body (see cached_page)

    FORMAT: ClassVar[str] = "page/2"


@lru_cache(maxsize=4096)
def marked_view(path: str, mark: str = "page_cache") -> Callable[..., Any] | None:
    """The view serving this path when it carries `mark` (an attribute its decorator set),
    else None; resolved once per path."""
    language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            return None
    return match.func if getattr(match.func, mark, False) else None


def site_key_parts(request: HttpRequest, path: str) -> tuple[list[str], str] | None:
    """What every stored page depends on beside its own address: scheme, host, the notice
    shown (so its dismissal), the legal versions the footer links to; and the page's language.
    None when the request must go through the stack (a host not allowed, maintenance)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    # Imported here: the middleware module loads before the apps' models.
    from supportal.core.maintenance import maintenance_state
    from supportal.helpcenter.context_processors import active_notice
    from supportal.legal.current import current

    if maintenance_state().enabled:
        return None
    language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    with translation.override(language):
        notice = active_notice(request)
    legal = sorted(current().latest.items())
    return [request.scheme, host, str(notice["id"] if notice else 0), repr(legal)], language


def stored_headers(response: HttpResponseBase) -> tuple[tuple[str, str], ...]:
    """The headers the stack added that a stored copy answers with again."""
    return tuple(
        (name, value) for name, value in response.items() if name.lower() not in _NOT_STORED
    )


def _canonical_query(query: str, allowed: frozenset[str]) -> str | None:
    """The query string in a fixed order, or None when it holds anything else."""
    if _PAGE_QUERY.match(query):
        return query
    if not allowed or len(query) > MAX_QUERY:
        return None
    pairs = parse_qsl(query, keep_blank_values=True)
    names = [name for name, _value in pairs]
    if len(set(names)) != len(names) or not set(names) <= allowed | {"page"}:
        return None
    return urlencode(sorted(pairs))


def lookup_for(request: HttpRequest) -> Lookup | None:
    """The page's key, or None when this request must go through the whole stack."""
    if request.method != "GET":  # the marked views answer HEAD with 405 (require_GET)
        return None
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not request.is_secure():
        return None  # SecurityMiddleware redirects it
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None
    path = request.path_info
    view = marked_view(path)
    if view is None:
        return None
    allowed = getattr(view, "page_cache_query", frozenset())
    query = _canonical_query(request.META.get("QUERY_STRING", ""), allowed)
    if query is None:
        return None
    from supportal.helpcenter.cache import content_version

    site = site_key_parts(request, path)
    version = content_version()
    if site is None or version is None:
        return None
    parts, language = site
    text = "\n".join([version, path, query, *parts])
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
    fill = getattr(view, "page_cache_fill", None)
    own = DISMISS_COOKIE in request.COOKIES or fill is not None
    return Lookup(key=f"page:{digest}", own=own, fill=fill, language=language)


def _store(
    response: HttpResponseBase, body: bytes, extra: Any = None, *, compress: bool = True
) -> Stored:
    headers = stored_headers(response)
    modified = parse_http_date_safe(response.get("Last-Modified", "")) or int(time.time())
    compressed = compressed_copy(body) if compress else None
    etag = quote_etag(hashlib.blake2b(body, digest_size=12).hexdigest())
    return Stored(body, compressed, headers, f"W/{etag}", modified, extra)


def accepts_gzip(request: HttpRequest) -> bool:
    return bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def compressed_copy(body: bytes, level: int = 6) -> bytes | None:
    """A page body gzip-compressed, when worth it; mtime 0, so the same page compresses to the
    same bytes in every process."""
    if len(body) < GZIP_MIN_LENGTH:
        return None
    return gzip.compress(body, compresslevel=level, mtime=0)


def answer(
    request: HttpRequest,
    body: bytes,
    compressed: bytes | None,
    headers: tuple[tuple[str, str], ...],
    *,
    cache_control: str,
    state: str,
    response: HttpResponse | None = None,
) -> HttpResponse:
    """A stored copy's answer (every page cache's): the compressed body to who accepts gzip,
    the headers the stack added when it was stored, and this answer's own."""
    gzipped = compressed is not None and accepts_gzip(request)
    response = response if response is not None else HttpResponse()
    response.content = compressed if gzipped and compressed is not None else body
    for name, value in headers:
        response[name] = value
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(response.content))
    response["Cache-Control"] = cache_control
    response["Vary"] = ", ".join(VARY)
    response["X-Page-Cache"] = state
    return response


def _serve(request: HttpRequest, stored: Stored, lookup: Lookup, state: str) -> HttpResponse:
    cache_control = VISITOR_OWN if lookup.own else public_cache_control()
    response = answer(
        request,
        stored.body,
        stored.compressed,
        stored.headers,
        cache_control=cache_control,
        state=state,
    )
    response["ETag"] = stored.etag
    response["Last-Modified"] = http_date(stored.modified)
    if not _CONDITIONAL.intersection(request.META):
        return response
    conditional = get_conditional_response(
        request, etag=stored.etag, last_modified=stored.modified, response=response
    )
    if conditional is not response:
        conditional["X-Page-Cache"] = state
    return conditional


def _serve_filled(
    request: HttpRequest, stored: Stored, fill: Fill, language: str
) -> HttpResponse | None:
    """A copy with this visitor's bytes put in: compressed per answer (level 1, a few tens of
    microseconds for a page), private, no ETag."""
    response = HttpResponse()  # the fill may set this visitor's cookie on it
    with translation.override(language):
        body = fill(request, response, stored.body, stored.extra)
    if body is None:
        return None
    compressed = compressed_copy(body, level=1) if accepts_gzip(request) else None
    return answer(
        request,
        body,
        compressed,
        stored.headers,
        cache_control=PERSONAL,
        state="hit",
        response=response,
    )


def public_cache_control() -> str:
    return PUBLIC.format(
        browser=BROWSER_MAX_AGE, shared=settings.CDN_MAX_AGE, stale=STALE_WHILE_REVALIDATE
    )


class PageCacheMiddleware:
    """Serves marked pages to visitors without a session from the stored copy (see above)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        lookup = lookup_for(request)
        if lookup is not None:
            stored = Stored.load(copy_get(lookup.key))
            if stored is not None:
                if lookup.fill is None:
                    return _serve(request, stored, lookup, "hit")
                filled = _serve_filled(request, stored, lookup.fill, lookup.language)
                if filled is not None:
                    return filled
        response = self.get_response(request)
        body = getattr(response, "page_cache_body", None)
        if body is not None and lookup is not None and lookup.fill is not None:
            # The view answered this visitor already; its placeholder copy is for the next.
            extra = getattr(response, "page_cache_extra", None)
            stored = _store(response, body, extra, compress=False)  # compressed once filled
            copy_set(lookup.key, stored.dump(), STORE_SECONDS)
            response["Cache-Control"] = PERSONAL
            patch_vary_headers(response, VARY)
            response["X-Page-Cache"] = "miss"
            return response
        if body is not None and not response.cookies:
            if lookup is not None:
                stored = _store(response, body)
                copy_set(lookup.key, stored.dump(), STORE_SECONDS)
                return _serve(request, stored, lookup, "miss")
            # A visitor's page that is not shared (a query string, a message, maintenance).
            response.setdefault("Cache-Control", VISITOR_OWN)
            patch_vary_headers(response, VARY)
            return response
        if "Cache-Control" not in response and _personal(request, response):
            response["Cache-Control"] = PERSONAL
        return response


def _personal(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Answers to a request with a session (a signed-in user's pages), or that set a cookie:
    never kept by a shared cache. Decided on the cookie, so no session is loaded for it."""
    return bool(response.cookies) or settings.SESSION_COOKIE_NAME in request.COOKIES
