from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "supportal.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from supportal.chat.services import IDLE_VIA, told_in_chat
        from supportal.tickets import notifications, via

        # A chat that ends solves its request: the visitor sees that (and rates it) in the
        # chat window, so no "your request has been solved" mail follows.
        notifications.tells_requester_on_solve(told_in_chat)
        # "chat-idle:30" in the request history: the chat ended after 30 minutes without a line.
        via.register(IDLE_VIA, idle_label)


def idle_label(minutes: set[int]) -> dict[int, str]:
    from django.utils.translation import ngettext

    return {
        n: ngettext(
            "Chat ended after %(minutes)d minute without a message",
            "Chat ended after %(minutes)d minutes without a message",
            n,
        )
        % {"minutes": n}
        for n in minutes
    }
