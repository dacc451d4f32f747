from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "supportal.tickets"
    label = "tickets"
    verbose_name = _("Requests")

    def ready(self) -> None:
        from supportal.tickets import vectors

        vectors.register()
