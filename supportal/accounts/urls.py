from __future__ import annotations

from django.urls import path

from supportal.accounts import views
from supportal.accounts.views import email, passkeys, security, sessions, twofactor

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("email/change/", email.email_change, name="email_change"),
    path("email/change/sent/", email.email_change_sent, name="email_change_sent"),
    path("email/change/<str:token>/", email.email_change_confirm, name="email_change_confirm"),
    path("security/", security.security, name="security"),
    # Two-factor sign-in, recovery codes, trusted browsers, re-authentication (views/twofactor.py)
    path("reauth/", twofactor.reauth, name="reauth"),
    path("twofactor/verify/", twofactor.twofactor_verify, name="twofactor_verify"),
    path("twofactor/setup/", twofactor.twofactor_setup, name="twofactor_setup"),
    path(
        "twofactor/recovery-codes/",
        twofactor.twofactor_recovery_codes,
        name="twofactor_recovery_codes",
    ),
    path("twofactor/disable/", twofactor.twofactor_disable, name="twofactor_disable"),
    path(
        "twofactor/browsers/forget/",
        twofactor.twofactor_forget_browsers,
        name="twofactor_forget_browsers",
    ),
    path("manage/security/", twofactor.security_policy, name="security_policy"),
    # Passkeys (views/passkeys.py)
    path(
        "security/passkeys/new/options/",
        passkeys.register_options,
        name="passkey_register_options",
    ),
    path("security/passkeys/new/", passkeys.register, name="passkey_register"),
    path("security/passkeys/<int:pk>/rename/", passkeys.rename, name="passkey_rename"),
    path("security/passkeys/<int:pk>/remove/", passkeys.remove, name="passkey_remove"),
    path("passkey/options/", passkeys.login_options, name="passkey_login_options"),
    path("passkey/sign-in/", passkeys.login, name="passkey_login"),
    path("reauth/passkey/options/", passkeys.reauth_options, name="passkey_reauth_options"),
    path("reauth/passkey/", passkeys.reauth, name="passkey_reauth"),
    # Sessions (views/sessions.py)
    path("security/sessions/<int:pk>/sign-out/", sessions.sign_out, name="session_sign_out"),
    path("session/keep/", sessions.keep, name="session_keep"),
    path(
        "security/sessions/sign-out-others/",
        sessions.sign_out_others,
        name="session_sign_out_others",
    ),
    path(
        "people/<int:pk>/sign-out-everywhere/",
        sessions.person_sign_out_everywhere,
        name="person_sign_out_everywhere",
    ),
]
