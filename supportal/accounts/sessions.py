"""Signed-in sessions: one UserSession row per signed-in browser, so a person can see where they
are signed in and end any of those sessions.

A row is made at sign-in (user_logged_in) and removed at sign-out. Ending a session elsewhere
deletes it from the session store (database, cache or Redis alike) and removes its row; the
middleware also refuses a session whose row is gone, so a session whose store entry survived
(a cached_db copy, a store that was down) cannot come back.

To keep writes low, the middleware notes activity at most once a minute: in the session (the
time of the last note) and on the row (last_seen_at). The idle timeout is checked at that moment
too: a request within a minute of the last note cannot be idle.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from user_agents import parse as parse_user_agent

from supportal.accounts.models import SecurityPolicy, User, UserSession
from supportal.audit.services import audit_record
from supportal.core import crypto
from supportal.core.crypto import hash_token

logger = logging.getLogger(__name__)

# Keys in the session itself.
ROW = "_session_row"  # the UserSession's pk
SEEN = "_session_seen"  # when activity was last noted (epoch seconds)
KEY_HASH = "_session_key_hash"  # the hash of the key the row holds, to notice a new key

IDLE = "_session_idle"  # the policy's idle limit in minutes when activity was last noted
TOUCH_EVERY = 60  # seconds between two notes of activity


key_hash = hash_token  # the session key is a bearer token like any other


def _client(request: HttpRequest) -> tuple[str, str | None]:
    return request.META.get("HTTP_USER_AGENT", "")[:400], request.META.get("REMOTE_ADDR") or None


def _store_delete(session_key: str) -> None:
    """Deletes a session from the configured store, whatever its engine."""
    if not session_key:
        return
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key).delete()


def active_cutoff(*, idle_minutes: int, now: datetime | None = None) -> datetime:
    """Rows last seen before this belong to sessions that have expired."""
    now = now or timezone.now()
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    if idle_minutes:
        age = min(age, timedelta(minutes=idle_minutes))
    return now - age


def active_sessions(user: User, *, idle_minutes: int) -> list[UserSession]:
    return list(
        UserSession.objects.filter(
            user=user, last_seen_at__gte=active_cutoff(idle_minutes=idle_minutes)
        )
    )


def active_session_count(user: User) -> int:
    policy = SecurityPolicy.current()
    return UserSession.objects.filter(
        user=user, last_seen_at__gte=active_cutoff(idle_minutes=policy.session_idle_minutes)
    ).count()


def current_row_id(request: HttpRequest) -> int | None:
    value = request.session.get(ROW)
    return value if isinstance(value, int) else None


# --- Services --------------------------------------------------------------------------------


def session_track(*, request: HttpRequest, user: User) -> UserSession:
    """Records the request's session as one of the user's signed-in sessions (at sign-in)."""
    session = request.session
    if session.session_key is None:
        session.save()
    key = session.session_key or ""
    user_agent, ip = _client(request)
    now = timezone.now()
    row = None
    previous = current_row_id(request)
    if previous is not None:
        # Signing in again in the same browser (the key was cycled): keep one row.
        row = UserSession.objects.filter(pk=previous, user=user).first()
    if row is None:
        row = UserSession(user=user, created_at=now)
    row.key_hash = key_hash(key)
    row.encrypted_key = crypto.encrypt(key)
    row.user_agent = user_agent
    row.ip = ip
    row.last_seen_at = now
    row.save()
    session[ROW] = row.pk
    session[KEY_HASH] = row.key_hash
    session[SEEN] = int(time.time())
    session[IDLE] = SecurityPolicy.current().session_idle_minutes
    return row


def _note_activity(request: HttpRequest, now: int) -> bool:
    """Notes activity at `now` on the session and its row; False when the row is gone (the
    session was signed out elsewhere)."""
    user_agent, ip = _client(request)
    updated = UserSession.objects.filter(pk=request.session.get(ROW), user=request.user).update(
        last_seen_at=timezone.now(), ip=ip, user_agent=user_agent
    )
    if updated:
        request.session[SEEN] = now
    return bool(updated)


def session_keep(request: HttpRequest) -> None:
    """Notes activity now, however recently it was noted: "Stay signed in" in the warning
    before an idle sign-out (WCAG 2.2.1). Nothing to do when the middleware just did it."""
    now = int(time.time())
    if request.session.get(SEEN) != now:
        _note_activity(request, now)


def idle_state(request: HttpRequest) -> tuple[int, int] | None:
    """(seconds left, the limit in seconds) before this session is signed out for inactivity,
    counted from the last noted activity (at most TOUCH_EVERY ago); None without a limit. Read
    from the session: no query."""
    session = request.session
    idle, seen = session.get(IDLE), session.get(SEEN)
    if not idle or not isinstance(seen, int) or not request.user.is_authenticated:
        return None
    return max(0, seen + idle * 60 - int(time.time())), idle * 60


def _end(row: UserSession) -> None:
    _store_delete(crypto.decrypt(row.encrypted_key))
    row.delete()


@transaction.atomic
def session_sign_out(*, request: HttpRequest, row: UserSession) -> None:
    """Ends one of the signed-in person's other sessions."""
    device = describe(row.user_agent)
    audit_record(
        action="session.sign_out",
        request=request,
        target=row.user,
        before={"session": row.pk, "browser": device.browser, "system": device.system},
    )
    _end(row)


def sessions_end_others(*, user: User, keep: int | None) -> int:
    """Ends every session of the user except the row `keep`; returns how many ended."""
    rows = list(UserSession.objects.filter(user=user).exclude(pk=keep))
    for row in rows:
        _end(row)
    return len(rows)


@transaction.atomic
def sessions_sign_out_others(*, request: HttpRequest) -> int:
    count = sessions_end_others(user=request.user, keep=current_row_id(request))
    audit_record(
        action="session.sign_out_all", request=request, target=request.user, after={"ended": count}
    )
    return count


@transaction.atomic
def sessions_sign_out_everywhere(*, request: HttpRequest, person: User) -> int:
    """An admin ends every session of `person`."""
    count = sessions_end_others(user=person, keep=None)
    audit_record(
        action="session.sign_out_everywhere_by_admin",
        request=request,
        target=person,
        after={"ended": count},
    )
    return count


# --- Sign-in and sign-out ----------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="supportal.accounts.sessions.track")
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    session_track(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="supportal.accounts.sessions.untrack")
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    row = current_row_id(request)
    if row is not None:
        UserSession.objects.filter(pk=row).delete()
    elif request.session.session_key:
        UserSession.objects.filter(key_hash=key_hash(request.session.session_key)).delete()


# --- Middleware --------------------------------------------------------------------------------


class SessionActivityMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware: notes activity once a minute, signs
    out idle sessions and sessions ended elsewhere, and follows a new session key (a password
    change cycles it) onto the row."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # Only sessions signed in through login(); a user set by other means has no session.
        if request.user.is_authenticated and SESSION_KEY in session:
            refused = self._check(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        row = session.get(ROW) if request.user.is_authenticated else None
        key = session.session_key
        if row is not None and key and session.get(KEY_HASH) != key_hash(key):
            new_hash = key_hash(key)
            UserSession.objects.filter(pk=row).update(
                key_hash=new_hash, encrypted_key=crypto.encrypt(key)
            )
            session[KEY_HASH] = new_hash
        return response

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = int(time.time())
        seen = session.get(SEEN)
        if isinstance(seen, int) and now - seen < TOUCH_EVERY:
            return None
        user = request.user
        if isinstance(seen, int):
            idle = SecurityPolicy.current().session_idle_minutes
            if idle and now - seen > idle * 60:
                return self._sign_out(request, idle=True)
            session[IDLE] = idle
            if not _note_activity(request, now):
                # Signed out from another browser or by an admin.
                return self._sign_out(request, idle=False)
        else:
            # A session from before sessions were tracked: start tracking it.
            session_track(request=request, user=user)  # type: ignore[arg-type]
        return None

    def _sign_out(self, request: HttpRequest, *, idle: bool) -> HttpResponse:
        logout(request)
        if idle:
            messages.info(
                request,
                _("You were signed out after a period of inactivity. Please sign in again."),
            )
        else:
            messages.info(request, _("This session was signed out. Please sign in again."))
        path = request.get_full_path() if request.method == "GET" else "/"
        response = redirect_to_login(path)
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]
        return response


# --- Describing a session ----------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    browser: str
    system: str


def describe(user_agent: str) -> Device:
    """The browser and system a user agent string names; empty parts when it is unknown."""
    agent = parse_user_agent(user_agent or "")
    browser = agent.browser.family if agent.browser.family != "Other" else ""
    if browser and agent.browser.version_string:
        major = agent.browser.version_string.split(".")[0]
        browser = f"{browser} {major}"
    system = agent.os.family if agent.os.family != "Other" else ""
    if system and agent.os.version_string:
        system = f"{system} {agent.os.version_string}"
    return Device(browser=browser, system=system)


# MaxMind's databases name places in these languages.
_GEOIP_LANGUAGES = {"ja": "ja", "zh-hans": "zh-CN", "en": "en"}


@lru_cache(maxsize=1)
def _geoip_reader(path: str) -> Any:
    try:
        import geoip2.database  # type: ignore[import-not-found]  # optional, not a dependency

        return geoip2.database.Reader(path)
    except Exception:  # the package or the file is missing or unreadable
        logger.info("GeoIP database %s is not usable; places are not shown", path)
        return None


def place(ip: str | None) -> str:
    """An approximate place for the address, when a local GeoIP2 City database is configured
    (GEOIP_PATH); "" otherwise."""
    path = getattr(settings, "GEOIP_PATH", "")
    if not ip or not path:
        return ""
    reader = _geoip_reader(str(path))
    if reader is None:
        return ""
    try:
        found = reader.city(ip)
    except Exception:  # private addresses and addresses the database does not know
        return ""
    language = _GEOIP_LANGUAGES.get(translation.get_language() or "", "en")
    city = found.city.names.get(language) or found.city.name or ""
    country = found.country.names.get(language) or found.country.name or ""
    return ", ".join(part for part in (city, country) if part)
