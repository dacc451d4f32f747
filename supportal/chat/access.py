"""Every chat lookup in an agent's view goes through here: a chat is as visible as its request."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from supportal.chat.models import Chat
from supportal.tickets.models import Ticket


def visible_chats(user: Any) -> Any:
    """The chats whose request the user may see (agents: their groups', none's and their own)."""
    return Chat.objects.filter(ticket__in=Ticket.objects.visible_to(user).values("pk"))


def get_chat_for(request: HttpRequest, pk: object) -> Chat:
    """The chat with this id if its request is visible to the signed-in agent, else 404."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        raise Http404
    chat = (
        visible_chats(request.user)
        .select_related("ticket", "ticket__requester", "ticket__group", "agent", "group")
        .filter(pk=int(str(pk)))
        .first()
    )
    if chat is None:
        raise Http404
    return chat
