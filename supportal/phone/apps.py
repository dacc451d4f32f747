from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneConfig(AppConfig):
    name = "supportal.phone"
    label = "phone"
    verbose_name = _("Phone")

    def ready(self) -> None:
        from supportal.phone.services import calls_follow_merges
        from supportal.tickets import hooks

        hooks.connect(calls_follow_merges)
