"""Passkeys: the Security page's section, registering, renaming and removing, signing in, and
confirming who one is on the re-authentication page.

The ceremonies are JSON over POST (static/js/passkeys.js sends the CSRF token); the rest are
plain forms that work without JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse, translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from supportal.accounts import passkeys as service
from supportal.accounts.access import public, signed_in
from supportal.accounts.passkeys import PasskeyError
from supportal.accounts.reauth import is_fresh, mark_fresh, reauth_url
from supportal.accounts.sessions import describe
from supportal.core.i18n import set_language_cookie
from supportal.core.maintenance import open_during_maintenance


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("So you can tell your passkeys apart, e.g. “Work laptop”."),
    )


def section_context(request: HttpRequest) -> dict[str, Any]:
    """What templates/accounts/security/_passkeys.html needs on the Security page."""
    return {"passkeys": list(request.user.passkeys.all())}  # type: ignore[union-attr]


def _security_url() -> str:
    return reverse("accounts:security") + "#passkeys"


def _crumbs(label: str) -> list[tuple[str, str | None]]:
    return [(_("Sign-in and security"), _security_url()), (label, None)]


def _error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _default_name(request: HttpRequest) -> str:
    device = describe(request.META.get("HTTP_USER_AGENT", ""))
    if device.browser and device.system:
        return _("%(browser)s on %(system)s") % {
            "browser": device.browser.rsplit(" ", 1)[0],
            "system": device.system.split(" ")[0],
        }
    return _("Passkey")


def _safe_next(request: HttpRequest, given: Any, default: str) -> str:
    if isinstance(given, str) and url_has_allowed_host_and_scheme(
        given, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return given
    return default


# --- Registering, renaming, removing -----------------------------------------------------------


@signed_in
@require_POST
def register_options(request: HttpRequest) -> HttpResponse:
    if not is_fresh(request):
        # A new way in to the account: only for someone who has just proved who they are.
        return _error(
            _("Confirm it’s you first."), status=403, redirect=reauth_url(_security_url())
        )
    return HttpResponse(service.registration_options(request), content_type="application/json")


@signed_in
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    if not is_fresh(request):
        return _error(
            _("Confirm it’s you first."), status=403, redirect=reauth_url(_security_url())
        )
    data = _body(request)
    name = str(data.get("name") or "").strip()[:100] or _default_name(request)
    try:
        passkey = service.passkey_add(request=request, name=name, credential=data.get("credential"))
    except PasskeyError as error:
        return _error(str(error))
    messages.success(request, _("The passkey “%(name)s” has been added.") % {"name": passkey.name})
    return JsonResponse({"redirect": _security_url()})


@signed_in
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = service.get_passkey_for(request, pk)
    form = PasskeyNameForm(request.POST or None, initial={"name": passkey.name})
    if request.method == "POST" and form.is_valid():
        service.passkey_rename(request=request, passkey=passkey, name=form.cleaned_data["name"])
        messages.success(request, _("The passkey has been renamed."))
        return HttpResponseRedirect(_security_url())
    context = {"passkey": passkey, "form": form, "crumbs": _crumbs(_("Rename passkey"))}
    return render(request, "accounts/passkeys/rename.html", context)


@signed_in
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = service.get_passkey_for(request, pk)
    if request.method == "POST":
        service.passkey_remove(request=request, passkey=passkey)
        messages.success(
            request, _("The passkey “%(name)s” has been removed.") % {"name": passkey.name}
        )
        return HttpResponseRedirect(_security_url())
    context = {"passkey": passkey, "crumbs": _crumbs(_("Remove passkey"))}
    return render(request, "accounts/passkeys/remove.html", context)


# --- Signing in --------------------------------------------------------------------------------


@open_during_maintenance
@public
@require_POST
def login_options(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        service.authentication_options(request, purpose=service.SIGN_IN),
        content_type="application/json",
    )


@open_during_maintenance
@public
@require_POST
def login(request: HttpRequest) -> HttpResponse:
    data = _body(request)
    try:
        passkey = service.passkey_authenticate(
            request=request, credential=data.get("credential"), purpose=service.SIGN_IN
        )
    except PasskeyError as error:
        return _error(str(error))
    user = passkey.user
    # Read by the sign-in record (audit) and by two-factor checks: a passkey with user
    # verification is both factors.
    request.auth_method = "passkey"  # type: ignore[attr-defined]
    auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session["auth_method"] = "passkey"
    mark_fresh(request)
    next_url = _safe_next(request, data.get("next"), reverse("core:home"))
    target = translate_url(next_url, user.language)
    response = JsonResponse({"redirect": target})
    set_language_cookie(response, user.language)
    return response


# --- Confirming who one is (the re-authentication page) ----------------------------------------


@signed_in
@require_POST
def reauth_options(request: HttpRequest) -> HttpResponse:
    try:
        options = service.authentication_options(request, purpose=service.CONFIRM)
    except PasskeyError as error:
        return _error(str(error))
    return HttpResponse(options, content_type="application/json")


@signed_in
@require_POST
def reauth(request: HttpRequest) -> HttpResponse:
    data = _body(request)
    try:
        service.passkey_authenticate(
            request=request,
            credential=data.get("credential"),
            purpose=service.CONFIRM,
            user=request.user,  # type: ignore[arg-type]
        )
    except PasskeyError as error:
        return _error(str(error))
    mark_fresh(request)
    return JsonResponse({"redirect": _safe_next(request, data.get("next"), _security_url())})
