from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    """Business rules that act on requests by themselves: routing and automatic assignment,
    triggers (on every change) and automations (by the hour)."""

    name = "supportal.rules"
    label = "rules"
    verbose_name = _("Business rules")

    def ready(self) -> None:
        from supportal.rules import routing, triggers
        from supportal.tickets import hooks

        hooks.connect_preparer(routing.prepare_new)
        hooks.connect(routing.on_ticket_changed)
        hooks.connect(triggers.on_ticket_changed)
