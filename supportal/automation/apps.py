from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "supportal.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from django.utils.translation import gettext_noop

        from supportal.automation.models import Macro
        from supportal.tickets import via

        via.register("macro", via.named(Macro, gettext_noop("Macro “%(name)s”"), field="title"))
