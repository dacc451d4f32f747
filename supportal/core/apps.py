from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "supportal.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from supportal.core.crypto import register_encrypted
        from supportal.core.personalcache import install_triggers

        # The sign-in secrets of the accounts area (2FA seeds, session-store keys), so that
        # `supportal rotate_encryption` re-encrypts them; other apps register their own.
        register_encrypted("accounts.TOTPDevice", "encrypted_key")
        register_encrypted("accounts.UserSession", "encrypted_key")
        # The personal page cache's change triggers, after every migrate and test flush.
        post_migrate.connect(
            install_triggers, sender=self, dispatch_uid="supportal.core.page-triggers"
        )
