"""Signed-in sessions: the Security page's list, signing out one or all others, and an admin
signing a person out everywhere. The bookkeeping is in supportal/accounts/sessions.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportal.accounts import sessions as service
from supportal.accounts.access import admin_required, signed_in
from supportal.accounts.models import SecurityPolicy, User, UserSession


@dataclass(frozen=True)
class SessionLine:
    row: UserSession
    browser: str
    system: str
    place: str
    current: bool


def section_context(request: HttpRequest) -> dict[str, Any]:
    """What templates/accounts/security/_sessions.html needs on the Security page."""
    idle = SecurityPolicy.current().session_idle_minutes
    current = service.current_row_id(request)
    lines = []
    for row in service.active_sessions(request.user, idle_minutes=idle):  # type: ignore[arg-type]
        device = service.describe(row.user_agent)
        lines.append(
            SessionLine(
                row=row,
                browser=device.browser,
                system=device.system,
                place=service.place(row.ip),
                current=row.pk == current,
            )
        )
    lines.sort(key=lambda line: not line.current)  # this browser first
    return {
        "sessions": lines,
        "other_sessions": sum(1 for line in lines if not line.current),
        "session_idle_minutes": idle,
    }


def _security_url() -> str:
    return reverse("accounts:security") + "#sessions"


@signed_in
@require_POST
def sign_out(request: HttpRequest, pk: int) -> HttpResponse:
    row = UserSession.objects.filter(pk=pk, user_id=request.user.pk).first()
    if row is None:
        raise Http404
    if row.pk == service.current_row_id(request):
        logout(request)
        return HttpResponseRedirect(reverse("accounts:login"))
    service.session_sign_out(request=request, row=row)
    messages.success(request, _("That session has been signed out."))
    return HttpResponseRedirect(_security_url())


@signed_in
@require_POST
def sign_out_others(request: HttpRequest) -> HttpResponse:
    count = service.sessions_sign_out_others(request=request)
    messages.success(
        request,
        ngettext(
            "%(count)d other session has been signed out.",
            "%(count)d other sessions have been signed out.",
            count,
        )
        % {"count": count},
    )
    return HttpResponseRedirect(_security_url())


@admin_required
@require_POST
def person_sign_out_everywhere(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    count = service.sessions_sign_out_everywhere(request=request, person=person)
    messages.success(
        request,
        ngettext(
            "%(name)s has been signed out of %(count)d session.",
            "%(name)s has been signed out of %(count)d sessions.",
            count,
        )
        % {"name": person.name or person.email, "count": count},
    )
    if person.pk == request.user.pk:
        # The admin's own session is among those ended: finish signing out here.
        logout(request)
        return HttpResponseRedirect(reverse("accounts:login"))
    # Back to the page the button was on (the person's page).
    for given in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if given and url_has_allowed_host_and_scheme(
            given, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(given)
    return HttpResponseRedirect(reverse("accounts:security"))


@signed_in
@require_POST
def keep(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": the warning's answer before an idle sign-out (idle.js). A session
    already signed out for inactivity never gets here: the middleware sends it to sign in."""
    service.session_keep(request)
    return HttpResponse(status=204)
