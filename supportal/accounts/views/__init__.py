from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from supportal.accounts import services
from supportal.accounts import twofactor as twofactor_service
from supportal.accounts.access import public, signed_in
from supportal.accounts.forms import (
    EmailLoginForm,
    EmailPasswordResetForm,
    ProfileForm,
    ResendVerificationForm,
    SignupForm,
)
from supportal.accounts.sessions import current_row_id as current_session_row
from supportal.accounts.sessions import sessions_end_others as end_other_sessions
from supportal.accounts.tokens import VerifyOutcome
from supportal.accounts.views.twofactor import finish_sign_in
from supportal.core.i18n import set_language_cookie
from supportal.core.maintenance import open_during_maintenance
from supportal.core.pagecache import cached_form_page
from supportal.core.personalcache import personal_page
from supportal.core.ratelimit import rate_limit
from supportal.legal.services import policies_accept_current


def _browser_time_zone(request: HttpRequest) -> str:
    from supportal.accounts.models import time_zone_choices

    name = request.COOKIES.get("tz", "")
    return name if name in dict(time_zone_choices()) else settings.TIME_ZONE


@public
@require_http_methods(["GET", "POST"])
@rate_limit("signup", methods=("POST",), field="email")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            password=form.cleaned_data["password1"],
            language=translation.get_language(),
            time_zone=_browser_time_zone(request),
        )
        # None when the address already has an account (its owner got a note): same page.
        if user is not None and "accept_policies" in form.fields:
            policies_accept_current(user=user, request=request)
        request.session["signup_email"] = form.cleaned_data["email"]
        return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


@public
@require_http_methods(["GET"])
def signup_done(request: HttpRequest) -> HttpResponse:
    email = request.session.get("signup_email", "")
    return render(request, "accounts/signup_done.html", {"email": email})


@public
@require_http_methods(["GET"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    outcome = services.user_verify_email(token=token)
    status = 200 if outcome in (VerifyOutcome.VERIFIED, VerifyOutcome.ALREADY) else 400
    context = {"outcome": outcome.value, "form": ResendVerificationForm()}
    return render(request, "accounts/verify.html", context, status=status)


@public
@require_http_methods(["GET", "POST"])
@rate_limit("signup", methods=("POST",), field="email")
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.verification_resend(email=form.cleaned_data["email"])
        messages.success(
            request,
            _("If an unconfirmed account uses %(email)s, a new confirmation link is on its way.")
            % {"email": form.cleaned_data["email"]},
        )
        return redirect("accounts:login")
    return render(request, "accounts/resend_verification.html", {"form": form})


@open_during_maintenance
@public
class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["unverified"] = form.is_bound and form.has_error(NON_FIELD_ERRORS, "unverified")
        return context

    def form_valid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if twofactor_service.needs_second_factor(self.request, user):
            # Not signed in yet: the code page finishes it (views/twofactor.py).
            twofactor_service.pending_start(
                self.request, user, next_url=self.get_success_url(), backend=user.backend
            )
            return HttpResponseRedirect(reverse("accounts:twofactor_verify"))
        # After sign-in the site speaks the user's language (finish_sign_in).
        return finish_sign_in(self.request, user, self.get_success_url())


# Visitors' sign-in form from its stored copy, with their own CSRF token (core/pagecache).
login_page = cached_form_page(LoginView.as_view())


@open_during_maintenance
@public
class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


@public
@rate_limit("password_reset", methods=("POST",), field="email")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = EmailPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")


@public
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@public
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if not context.get("validlink"):
            kwargs["status"] = 400
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        end_other_sessions(user=form.user, keep=None)  # every session used the old password
        return response


@public
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@signed_in
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")
    extra_context = {  # noqa: RUF012 - read-only, lazy so each request gets its language
        "crumbs": [
            (gettext_lazy("Your profile"), reverse_lazy("accounts:profile")),
            (gettext_lazy("Change your password"), None),
        ]
    }

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Anyone signed in with the old password is signed out (accounts/sessions.py).
        end_other_sessions(user=form.user, keep=current_session_row(self.request))
        messages.success(self.request, gettext_lazy("Your password has been changed."))
        return response


@signed_in
@require_http_methods(["GET", "POST"])
@personal_page
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=user,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
            phone=form.cleaned_data["phone"],
            keyboard_shortcuts=form.cleaned_data.get("keyboard_shortcuts"),
        )
        with translation.override(user.language):
            messages.success(request, _("Your profile has been saved."))
            response = HttpResponseRedirect(reverse("accounts:profile"))
        set_language_cookie(response, user.language)
        return response
    # Imported here: accounts is below the email channel, which builds on it.
    from supportal.mail.models import BouncingAddress

    # Only the person can fix their mailbox; tell them we stopped mailing it.
    bounce = BouncingAddress.objects.filter(email=user.email).first()
    return render(request, "accounts/profile.html", {"form": form, "bounce": bounce})
