from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "supportal.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from supportal.sla import engine
        from supportal.tickets import hooks

        hooks.connect(engine.on_ticket_changed)

        from django.db.models.signals import post_migrate

        from supportal.sla.selectors import forget_hours

        post_migrate.connect(forget_hours, sender=self, dispatch_uid="sla-forget-hours")
