from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.accounts import throttle
from supportal.accounts.models import User, normalize_email, time_zone_choices
from supportal.core.services import email_send
from supportal.core.widgets import LongSelect
from supportal.legal.forms import signup_acceptance_field
from supportal.lib.phone import MAX_INPUT, normalize_phone


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {  # noqa: RUF012 - Django's API is a plain dict
        "invalid_login": _(
            "That email address and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account has been deactivated. Contact the support team."),
        "unverified": _(
            "Confirm your email address first: open the link we emailed you when you signed up."
        ),
        "throttled": "",  # built with the wait time in clean()
    }

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username") or ""
        request: HttpRequest | None = self.request
        if request is not None and email:
            wait = throttle.seconds_locked(request, email)
            if wait:
                minutes = max(1, -(-wait // 60))
                raise ValidationError(
                    ngettext(
                        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    code="throttled",
                )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if request is not None and email and error.code == "invalid_login":
                throttle.record_failure(request, email)
            raise
        if request is not None and email:
            throttle.clear_failures(request, email)
        return cleaned

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")

    def confirm_login_allowed(self, user: User) -> None:  # type: ignore[override]
        super().confirm_login_allowed(user)
        if not user.email_verified:
            raise ValidationError(self.error_messages["unverified"], code="unverified")


class SignupForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Avoid common words and your name or email."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Once a privacy policy or terms are published, new accounts accept them here; the view
        # records it (supportal/legal).
        accept = signup_acceptance_field()
        if accept is not None:
            self.fields["accept_policies"] = accept

    def clean_email(self) -> str:
        # No "already has an account" error: that would tell anyone who has one. The service
        # emails the owner instead (services.user_signup).
        return normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are different."))
        elif password1:
            probe = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password1, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class PhoneInput(forms.TextInput):
    input_type = "tel"


class PhoneField(forms.CharField):
    """A phone number, cleaned to its stored form (supportal.lib.phone): "+82 10-1234-5678"
    becomes "+821012345678", and so does "010-1234-5678" when PHONE_REGION is "KR". A mistake
    is shown on the field, which keeps what was typed."""

    default_error_messages = {  # noqa: RUF012 - Django's API is a plain dict
        "invalid": _(
            "Enter a phone number: digits, optionally starting with + and the country code, "
            "such as +82 10-1234-5678."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_INPUT)
        kwargs.setdefault("widget", PhoneInput(attrs={"autocomplete": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        try:
            return normalize_phone(text, region=settings.PHONE_REGION)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=time_zone_choices, widget=LongSelect
    )
    phone = PhoneField(
        label=_("Phone number"),
        required=False,
        help_text=_("Optional. When you call us from this number, we know it is you."),
    )

    class Meta:
        model = User
        fields = ("name", "language", "time_zone", "phone", "keyboard_shortcuts")
        labels = {  # noqa: RUF012
            "name": _("Your name"),
            "language": _("Language"),
            "keyboard_shortcuts": _("Use single-key shortcuts on agent pages"),
        }
        help_texts = {  # noqa: RUF012
            "keyboard_shortcuts": _(
                "Keys such as j, k and r act on a page when no text field has the focus. "
                "Turn them off if you use speech input or press keys by accident."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.is_agent:
            del self.fields["keyboard_shortcuts"]  # customers' pages have no shortcuts


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class EmailPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email: str) -> Any:
        """Also accounts without a password yet (made for a visitor's request or a CC): this is
        how they set one. Django's form skips them."""
        return User.objects.filter(email=normalize_email(email), is_active=True).iterator()

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user: User = context["user"]
        with translation.override(user.language):
            path = reverse(
                "accounts:password_reset_confirm",
                kwargs={"uidb64": context["uid"], "token": context["token"]},
            )
        email_send(
            to=to_email,
            template="accounts/email/password_reset",
            context={"user": user, "path": path, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            language=user.language,
        )
