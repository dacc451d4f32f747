"""Maintenance mode: everyone but admins gets a translated 503 page with Retry-After.

The switch is one database row (MaintenanceMode, pk 1), so every process agrees on it; each
process reads it through a SharedCopy, which costs no query per request (one shared-cache read
every few seconds). Switched by `supportal maintenance on|off|status`, by `supportal restore`
while it restores, and by admins on the Maintenance page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypeVar

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from supportal.core.copies import SharedCopy
from supportal.core.middleware import GetResponse
from supportal.core.models import MaintenanceMode

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 600


@dataclass(frozen=True)
class MaintenanceState:
    enabled: bool = False
    message: str = ""
    retry_after: int = DEFAULT_RETRY_AFTER
    changed_at: str = ""


OFF = MaintenanceState()


def maintenance_read() -> MaintenanceState:
    """The switch as stored now (one query); requests use maintenance_state() instead."""
    row = MaintenanceMode.objects.filter(pk=1).first()
    if row is None:
        return OFF
    return MaintenanceState(
        enabled=row.enabled,
        message=row.message,
        retry_after=row.retry_after,
        changed_at=row.changed_at.isoformat() if row.changed_at else "",
    )


maintenance_copy: SharedCopy[MaintenanceState] = SharedCopy(
    "maintenance", maintenance_read, empty=OFF, recheck=3.0
)
_last_known = OFF


def maintenance_state() -> MaintenanceState:
    """The current switch. When the database cannot answer (a restore is replacing it), the
    last state this process saw, so a closed site stays closed."""
    global _last_known
    try:
        _last_known = maintenance_copy.get()
    except DatabaseError:
        logger.warning("maintenance state unreadable; keeping the last one seen")
    return _last_known


@transaction.atomic
def maintenance_set(
    *,
    enabled: bool,
    message: str = "",
    retry_after: int | None = None,
    request: HttpRequest | None = None,
) -> MaintenanceState:
    """Switches maintenance mode on or off (audited as maintenance.on / maintenance.off)."""
    from supportal.audit.services import audit_record

    row, _created = MaintenanceMode.objects.select_for_update().get_or_create(pk=1)
    before = {"enabled": row.enabled, "message": row.message, "retry_after": row.retry_after}
    row.enabled = enabled
    if enabled:
        row.message = message.strip()
        row.retry_after = retry_after if retry_after is not None else DEFAULT_RETRY_AFTER
    row.changed_at = timezone.now()
    row.save()
    after = {"enabled": row.enabled, "message": row.message, "retry_after": row.retry_after}
    audit_record(
        action="maintenance.on" if enabled else "maintenance.off",
        request=request,
        target=row,
        before=before,
        after=after,
    )
    maintenance_copy.changed()
    return maintenance_read()


V = TypeVar("V")


def open_during_maintenance(view: V) -> V:
    """Marks a view that stays open to everyone while the site is closed: health checks for load
    balancers, and the steps of signing in (password, passkey, two-factor code, a setup the
    policy forces), so that admins can get in. Works on function and class views alike."""
    view.open_during_maintenance = True  # type: ignore[attr-defined]
    return view


def _is_open(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    view = getattr(match.func, "view_class", match.func)
    return getattr(view, "open_during_maintenance", False)


def maintenance_response(request: HttpRequest, state: MaintenanceState) -> HttpResponse:
    context = {"maintenance": state}
    try:
        response = render(request, "errors/503.html", context, status=503)
    except Exception:
        # The shell itself needs the database; while a restore replaces it, answer plainly.
        logger.exception("maintenance page failed to render")
        response = HttpResponse(_plain_page(state), status=503)
    response["Retry-After"] = str(state.retry_after)
    response["Cache-Control"] = "no-store"
    # An expected answer, not a server fault: keep it out of the error log.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _plain_page(state: MaintenanceState) -> str:
    title = escape(_("We are doing maintenance"))
    text = escape(_("The site is closed for a short while. Please try again in a few minutes."))
    note = f"<p>{escape(state.message)}</p>" if state.message else ""
    return (
        f'<!doctype html><html lang="{escape(translation.get_language())}"><head>'
        f'<meta charset="utf-8"><title>{title} · Supportal</title></head>'
        f"<body><main><h1>{title}</h1><p>{text}</p>{note}</main></body></html>"
    )


class MaintenanceMiddleware:
    """Placed after AuthenticationMiddleware, so admins are recognised and see the site (with a
    banner, from request.maintenance in base.html); everyone else gets the 503 page."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = maintenance_state()
        request.maintenance = state  # type: ignore[attr-defined]
        if not state.enabled or _is_open(request):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and user.is_admin:
            return self.get_response(request)
        return maintenance_response(request, state)
