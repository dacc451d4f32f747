from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    name = "supportal.helpcenter"
    label = "helpcenter"
    verbose_name = _("Help Center")

    def ready(self) -> None:
        from supportal.helpcenter import vectors

        vectors.register()
