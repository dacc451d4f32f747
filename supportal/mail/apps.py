from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "supportal.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from supportal.core.crypto import register_encrypted
        from supportal.mail.models import Mailbox

        register_encrypted("mail.Mailbox", "imap_password_encrypted", "inbound_token_encrypted")

        # Only to refresh the process copies of our addresses (services/addresses.py), whoever
        # changed a mailbox: the settings, the demo, a test, the Django admin.
        post_save.connect(_mailboxes_changed, sender=Mailbox, dispatch_uid="mail-addresses")
        post_delete.connect(_mailboxes_changed, sender=Mailbox, dispatch_uid="mail-addresses-del")


def _mailboxes_changed(**kwargs: object) -> None:
    from supportal.mail.services.addresses import addresses_copy

    addresses_copy.changed()
