from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SemanticConfig(AppConfig):
    name = "supportal.semantic"
    label = "semantic"
    verbose_name = _("Semantic search")
