from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "supportal.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from supportal.sla import engine
        from supportal.sla.models import SlaPolicy
        from supportal.tickets import hooks, via

        hooks.connect(engine.on_ticket_changed)
        via.register("sla", via.named(SlaPolicy, gettext_noop("SLA policy “%(name)s”")))

        from django.db.models.signals import post_migrate

        from supportal.sla.selectors import forget_hours

        post_migrate.connect(forget_hours, sender=self, dispatch_uid="sla-forget-hours")
