"""The site-wide notice banner, on every page (templates/helpcenter/_notice.html)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
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


def _candidates() -> list[dict[str, Any]]:
    """Notices live at some moment of the next minute, with all their translations (one query)."""
    found = cache.get(_CACHE_KEY)
    if found is not None:
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
    """After a notice changes; other processes see it within a minute (or at once with Redis)."""
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
