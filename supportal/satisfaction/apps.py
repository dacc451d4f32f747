from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "supportal.satisfaction"
    label = "satisfaction"
    verbose_name = _("Satisfaction")

    def ready(self) -> None:
        from supportal.satisfaction.survey import ask_on_solve, asks_by_email
        from supportal.tickets import hooks, notifications

        hooks.connect(ask_on_solve)
        # The survey is the requester's solved notice: the generic one leaves them out.
        notifications.tells_requester_on_solve(asks_by_email)
