from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "supportal.chat"
    label = "chat"
    verbose_name = _("Live chat")
