from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "supportal.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from supportal.chat.services import told_in_chat
        from supportal.tickets import notifications

        # A chat that ends solves its request: the visitor sees that (and rates it) in the
        # chat window, so no "your request has been solved" mail follows.
        notifications.tells_requester_on_solve(told_in_chat)
