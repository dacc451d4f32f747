"""Agents' chat panel under /<lang>/agent/chat/ and the chat settings under
/<lang>/agent/manage/chat/ (namespace "agent_chat", mounted at /<lang>/agent/)."""

from __future__ import annotations

from django.urls import path

from supportal.chat import agent_views

app_name = "agent_chat"

urlpatterns = [
    path("chat/", agent_views.panel, name="panel"),
    path("chat/lists", agent_views.lists, name="lists"),
    path("chat/<int:pk>/events", agent_views.chat_events, name="events"),
    path("chat/<int:pk>/macro", agent_views.macro_text, name="macro"),
    path("chat/<int:pk>/accept", agent_views.accept, name="accept"),
    path("chat/<int:pk>/reply", agent_views.reply, name="reply"),
    path("chat/<int:pk>/transfer", agent_views.transfer, name="transfer"),
    path("chat/<int:pk>/end", agent_views.end, name="end"),
    path("manage/chat/", agent_views.chat_settings, name="settings"),
    path("manage/chat/secret", agent_views.identity_secret, name="identity_secret"),
]
