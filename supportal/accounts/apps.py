from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "supportal.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Connects the sign-in receivers: re-authentication window and two-factor policy
        # (twofactor), and the tracking of signed-in sessions (sessions).
        from supportal.accounts import sessions, twofactor  # noqa: F401
