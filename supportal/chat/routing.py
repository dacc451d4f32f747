from __future__ import annotations

from django.urls import path

from supportal.chat.consumers import AgentSocket, VisitorSocket

websocket_urlpatterns = [
    path("ws/chat/visitor/", VisitorSocket.as_asgi()),
    path("ws/chat/agent/", AgentSocket.as_asgi()),
]
