from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "supportal.automation"
    label = "automation"
    verbose_name = _("Automation")
