"""The site-wide notice banner, on every page (templates/helpcenter/_notice.html)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.utils import timezone, translation

from supportal.helpcenter.models import NoticeTranslation

DISMISS_COOKIE = "notice_dismissed"
_CACHE_KEY = "helpcenter:notices"
_CACHE_SECONDS = 60


def _safe_link(url: str) -> bool:
    if url.startswith("/"):
        return not url.startswith(("//", "/\\"))
    return url.startswith(("https://", "http://"))


class _Seen:
    """With Redis, this process's last read of the list, for LOCAL_SECONDS: every page asks
    (the page caches' keys hold the notice shown), and a round trip each time cost more than
    the rest of a stored page's answer."""

    found: list[dict[str, Any]] | None = None
    read_at = 0.0


LOCAL_SECONDS = 2.0


def _candidates() -> list[dict[str, Any]]:
    """Notices live at some moment of the next minute, with all their translations (one query)."""
    local = isinstance(caches["default"], LocMemCache)
    # The wall clock, not a monotonic one: a notice's window is wall-clock time, so a clock that
    # moved (or a test travelling in time) must not keep a list read for another moment.
    if not local and _Seen.found is not None and abs(time.time() - _Seen.read_at) < LOCAL_SECONDS:
        return _Seen.found
    found = cache.get(_CACHE_KEY)
    if found is not None:
        if not local:
            _Seen.found, _Seen.read_at = found, time.time()
        return found
    now = timezone.now()
    notices: dict[int, dict[str, Any]] = {}
    rows = NoticeTranslation.objects.filter(
        notice__starts_at__lte=now + timedelta(seconds=_CACHE_SECONDS), notice__ends_at__gt=now
    ).select_related("notice")
    for row in rows:
        entry = notices.setdefault(
            row.notice_id,
            {
                "id": row.notice_id,
                "starts_at": row.notice.starts_at,
                "ends_at": row.notice.ends_at,
                "messages": {},
            },
        )
        link = row.link_url if _safe_link(row.link_url) else ""
        entry["messages"][row.locale] = {"message": row.message, "link_url": link}
    found = sorted(notices.values(), key=lambda n: (n["starts_at"], n["id"]), reverse=True)
    cache.set(_CACHE_KEY, found, _CACHE_SECONDS)
    return found


def forget_cached_notices() -> None:
    """After a notice changes; other processes see it within a minute (within two seconds with
    Redis)."""
    _Seen.found = None
    cache.delete(_CACHE_KEY)


def active_notice(request: HttpRequest) -> dict[str, Any] | None:
    """The notice to show now in the current language, unless this visitor dismissed it."""
    now = timezone.now()
    locale = translation.get_language()
    dismissed = request.COOKIES.get(DISMISS_COOKIE, "")
    for entry in _candidates():
        if not entry["starts_at"] <= now < entry["ends_at"]:
            continue
        if dismissed == str(entry["id"]):
            return None
        text = entry["messages"].get(locale) or entry["messages"].get(settings.LANGUAGE_CODE)
        if text is None:
            continue
        return {
            "id": entry["id"],
            "lang": locale if locale in entry["messages"] else settings.LANGUAGE_CODE,
            **text,
        }
    return None


def notice(request: HttpRequest) -> dict[str, object]:
    """The site-wide notice to show on this page, if any."""
    return {"site_notice": active_notice(request)}
