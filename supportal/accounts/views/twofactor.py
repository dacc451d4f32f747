"""Two-factor sign-in (authenticator app, recovery codes, remembered browsers), the
re-authentication page, and the admin's security settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from supportal.accounts import reauth as reauth_service
from supportal.accounts import throttle, twofactor
from supportal.accounts.access import admin_required, public, signed_in
from supportal.accounts.models import SecurityPolicy, User
from supportal.accounts.reauth import recent_auth_required
from supportal.audit.services import audit_record
from supportal.core.i18n import set_language_cookie
from supportal.core.maintenance import open_during_maintenance
from supportal.core.ratelimit import rate_limit


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` address from the form or the query string when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def throttled_error(seconds: int) -> ValidationError:
    minutes = max(1, -(-seconds // 60))
    return ValidationError(
        ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        code="throttled",
    )


class PasswordConfirmForm(forms.Form):
    """Asks the signed-in person for their password again; failures count towards the sign-in
    throttle, so this page cannot be used to guess it."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = self.request.user
        email = user.email
        wait = throttle.seconds_locked(self.request, email)
        if wait:
            raise throttled_error(wait)
        password = cleaned.get("password")
        if password is None:
            return cleaned
        if authenticate(self.request, username=email, password=password) is None:
            throttle.record_failure(self.request, email)
            self.add_error("password", _("That password is not right. Try again."))
        else:
            throttle.clear_failures(self.request, email)
        return cleaned


@open_during_maintenance
@signed_in
@require_http_methods(["GET", "POST"])
@rate_limit("reauth", methods=("POST",), by="user")
def reauth(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("accounts:security"))
    form = PasswordConfirmForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        reauth_service.mark_fresh(request)
        audit_record(action="auth.reauth", request=request, target=request.user)
        return HttpResponseRedirect(next_url)
    return render(request, "accounts/twofactor/reauth.html", {"form": form, "next": next_url})


# --- Signing in with a second factor ----------------------------------------------------------


def finish_sign_in(
    request: HttpRequest, user: User, target: str, *, backend: str | None = None
) -> HttpResponse:
    """Signs the person in and sends them on in their own language (the password step, or the
    code step after it)."""
    twofactor.pending_clear(request)
    auth_login(request, user, backend=backend)
    response = HttpResponseRedirect(translate_url(target, user.language))
    set_language_cookie(response, user.language)
    return response


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    remember = forms.BooleanField(
        label=_("Remember this browser for 30 days"),
        required=False,
    )


def _code_error(result: twofactor.CodeResult) -> str:
    if result.outcome is twofactor.CodeCheck.THROTTLED:
        return ngettext(
            "Too many wrong codes. Wait %(seconds)d second and try again.",
            "Too many wrong codes. Wait %(seconds)d seconds and try again.",
            result.wait_seconds,
        ) % {"seconds": result.wait_seconds}
    if result.outcome is twofactor.CodeCheck.REUSED:
        return gettext("That code has already been used. Wait for the next code in your app.")
    return gettext(
        "That code is not right. Check the code in your authenticator app (and that your phone’s "
        "clock is correct), or enter one of your recovery codes."
    )


@open_during_maintenance
@public
@require_http_methods(["GET", "POST"])
@rate_limit("twofactor", methods=("POST",), key=throttle.twofactor_identities)
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app or a recovery code."""
    pending = twofactor.pending_get(request)
    if pending is None:
        twofactor.pending_clear(request)
        messages.error(request, gettext("Your sign-in took too long. Sign in again."))
        return redirect("accounts:login")
    user, data = pending
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = twofactor.verify_code(user=user, code=form.cleaned_data["code"])
        if result.ok:
            response = finish_sign_in(request, user, data["next"], backend=data["backend"])
            device = twofactor.device_for(user)
            django_otp.login(request, device)
            if form.cleaned_data["remember"]:
                twofactor.trusted_browser_remember(request=request, response=response, user=user)
            if result.recovery_codes_left is not None:
                _recovery_code_used_message(request, result.recovery_codes_left)
            return response
        if result.outcome is not twofactor.CodeCheck.THROTTLED:
            audit_record(
                action="twofactor.failed",
                request=request,
                actor=user,
                target=user,
                note=result.outcome.value,
            )
        form.add_error("code", _code_error(result))
    return render(request, "accounts/twofactor/verify.html", {"form": form})


def _recovery_code_used_message(request: HttpRequest, left: int) -> None:
    text = ngettext(
        "You signed in with a recovery code, which now no longer works. You have %(count)d "
        "recovery code left.",
        "You signed in with a recovery code, which now no longer works. You have %(count)d "
        "recovery codes left.",
        left,
    ) % {"count": left}
    if left <= 3:
        text += " " + gettext("Make new recovery codes on your Security page.")
    messages.warning(request, text)


# --- Setting it up, recovery codes, turning it off --------------------------------------------


class ConfirmCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


def _codes_page(request: HttpRequest, codes: list[str], *, first_time: bool) -> HttpResponse:
    title = gettext("Supportal recovery codes for %(email)s") % {"email": request.user.email}
    text = "\r\n".join([title, "", *codes])
    context = {
        "codes": codes,
        "first_time": first_time,
        "download_href": "data:text/plain;charset=utf-8," + quote(text + "\r\n"),
    }
    response = render(request, "accounts/twofactor/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


@open_during_maintenance
@signed_in
@recent_auth_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if twofactor.has_two_factor(user):
        return redirect("accounts:security")
    device = twofactor.device_for(user, confirmed=False) or twofactor.twofactor_setup_start(
        user=user
    )
    form = ConfirmCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = twofactor.twofactor_setup_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if result.ok:
            codes = twofactor.recovery_codes_generate(request=request, user=user)
            return _codes_page(request, codes, first_time=True)
        form.add_error("code", _code_error(result))
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(
            device, title=gettext("QR code to scan with your authenticator app")
        ),
        "secret": twofactor.secret_base32(device),
        "forced": bool(request.session.get(twofactor.SETUP_REQUIRED_KEY)),
    }
    return render(request, "accounts/twofactor/setup.html", context)


@signed_in
@recent_auth_required
@require_http_methods(["GET", "POST"])
def twofactor_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not twofactor.has_two_factor(request.user):
        return redirect("accounts:security")
    if request.method == "POST":
        codes = twofactor.recovery_codes_generate(request=request, user=request.user)
        return _codes_page(request, codes, first_time=False)
    return render(request, "accounts/twofactor/recovery_codes_confirm.html")


@signed_in
@recent_auth_required
@require_http_methods(["GET", "POST"])
def twofactor_disable(request: HttpRequest) -> HttpResponse:
    if not twofactor.has_two_factor(request.user):
        return redirect("accounts:security")
    if request.method == "POST":
        twofactor.twofactor_disable(request=request, user=request.user)
        messages.success(request, gettext("Two-factor authentication is off."))
        if request.session.get(twofactor.SETUP_REQUIRED_KEY):
            return redirect("accounts:twofactor_setup")
        return redirect("accounts:security")
    policy_requires = SecurityPolicy.current().require_two_factor_for_staff
    return render(
        request, "accounts/twofactor/disable_confirm.html", {"policy_requires": policy_requires}
    )


@signed_in
@require_http_methods(["POST"])
def twofactor_forget_browsers(request: HttpRequest) -> HttpResponse:
    twofactor.trusted_browsers_forget(request=request, user=request.user)
    messages.success(
        request, gettext("Every browser will be asked for a code again at the next sign-in.")
    )
    response = redirect("accounts:security")
    response.delete_cookie(twofactor.TRUST_COOKIE, samesite="Lax")
    return response


def section_context(request: HttpRequest) -> dict[str, Any]:
    """What templates/accounts/security/_twofactor.html needs on the Security page."""
    user = request.user
    device = twofactor.device_for(user)
    if device is None:
        return {"twofactor_device": None}
    return {
        "twofactor_device": device,
        "twofactor_codes_left": twofactor.recovery_codes_left(user),
        "twofactor_browsers": twofactor.trusted_browsers(user),
    }


# --- The site's policy (admins) ----------------------------------------------------------------


class SecurityPolicyForm(forms.ModelForm):
    class Meta:
        model = SecurityPolicy
        fields = ("require_two_factor_for_staff", "session_idle_minutes")

    def clean_session_idle_minutes(self) -> int:
        minutes: int = self.cleaned_data["session_idle_minutes"]
        if minutes and minutes < 5:
            raise ValidationError(_("Enter 0 (no limit) or at least 5 minutes."), code="too_short")
        if minutes > 60 * 24 * 14:
            raise ValidationError(_("Enter at most 20160 minutes (two weeks)."), code="too_long")
        return minutes


def _policy_values(policy: SecurityPolicy) -> dict[str, Any]:
    return {
        "require_two_factor_for_staff": policy.require_two_factor_for_staff,
        "session_idle_minutes": policy.session_idle_minutes,
    }


@admin_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
def security_policy(request: HttpRequest) -> HttpResponse:
    policy = SecurityPolicy.current()
    before = _policy_values(policy)
    form = SecurityPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            policy = form.save()
            after = _policy_values(policy)
            if after != before:
                audit_record(
                    action="security_policy.change",
                    request=request,
                    target=policy,
                    before=before,
                    after=after,
                )
        messages.success(request, gettext("The security settings have been saved."))
        return redirect("accounts:security_policy")
    crumbs = [(_("Settings"), None), (_("Security"), None)]
    return render(
        request, "accounts/twofactor/security_policy.html", {"form": form, "crumbs": crumbs}
    )
