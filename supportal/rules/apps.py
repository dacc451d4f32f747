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
        from django.utils.translation import gettext_noop

        from supportal.rules import routing, triggers
        from supportal.rules.models import Automation, RoutingRule, Trigger
        from supportal.tickets import hooks, via
        from supportal.tickets.models import Group

        hooks.connect_preparer(routing.prepare_new)
        hooks.connect(routing.on_ticket_changed)
        hooks.connect(triggers.on_ticket_changed)
        via.register("trigger", via.named(Trigger, gettext_noop("Trigger “%(name)s”")))
        via.register("automation", via.named(Automation, gettext_noop("Automation “%(name)s”")))
        via.register("routing", via.named(RoutingRule, gettext_noop("Routing rule “%(name)s”")))
        via.register(
            "assignment", via.named(Group, gettext_noop("Automatic assignment in “%(name)s”"))
        )
