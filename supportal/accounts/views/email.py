"""Changing one's email address: asked for on the profile (after a recent password or passkey
check), done when the link emailed to the new address is followed."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from supportal.accounts import services
from supportal.accounts.access import public, signed_in
from supportal.accounts.models import User, normalize_email
from supportal.accounts.reauth import recent_auth_required
from supportal.accounts.services import EmailChangeOutcome
from supportal.accounts.tokens import EMAIL_CHANGE_MAX_AGE
from supportal.core.ratelimit import rate_limit

_SESSION_KEY = "email_change_to"


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("New email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if email == self.user.email:
            raise ValidationError(gettext_lazy("This is already your email address."), code="same")
        return email


def _crumbs(title: str) -> list[tuple[str, str | None]]:
    return [(_("Your profile"), reverse("accounts:profile")), (title, None)]


@signed_in
@require_http_methods(["GET", "POST"])
@recent_auth_required
@rate_limit("mail_action", methods=("POST",), by="user")
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.email_change_request(user=request.user, new_email=form.cleaned_data["email"])
        request.session[_SESSION_KEY] = form.cleaned_data["email"]
        return redirect("accounts:email_change_sent")
    context = {"form": form, "crumbs": _crumbs(_("Change email address"))}
    return render(
        request, "accounts/email_change.html", context, status=400 if form.errors else 200
    )


@signed_in
@require_GET
def email_change_sent(request: HttpRequest) -> HttpResponse:
    context = {
        "email": request.session.get(_SESSION_KEY, ""),
        "hours": EMAIL_CHANGE_MAX_AGE // 3600,
        "crumbs": _crumbs(_("Change email address")),
    }
    return render(request, "accounts/email_change_sent.html", context)


@public
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email. A GET only shows what will happen (mail scanners open links);
    the button's POST makes the change."""
    if request.method == "POST":
        outcome, user = services.email_change_confirm(token=token, request=request)
        if outcome is EmailChangeOutcome.CHANGED and user is not None:
            request.session.pop(_SESSION_KEY, None)
            messages.success(
                request, _("Your email address is now %(email)s.") % {"email": user.email}
            )
            signed_in_here = request.user.is_authenticated and request.user.pk == user.pk
            return redirect("accounts:profile" if signed_in_here else "accounts:login")
        claim = None
    else:
        outcome, claim = services.email_change_check(token=token)
    status = 200 if outcome in (EmailChangeOutcome.CHANGED, EmailChangeOutcome.ALREADY) else 400
    context = {"outcome": outcome.value, "new_email": claim.new_email if claim else ""}
    return render(request, "accounts/email_change_confirm.html", context, status=status)
