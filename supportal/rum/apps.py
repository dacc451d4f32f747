from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RumConfig(AppConfig):
    name = "supportal.rum"
    label = "rum"
    verbose_name = _("Performance")
