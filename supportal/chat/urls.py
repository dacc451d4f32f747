"""The visitor's chat widget, under /<lang>/chat/ (namespace "chat"): the only frameable pages."""

from __future__ import annotations

from django.urls import path

from supportal.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.widget, name="widget"),
    path("start", views.start, name="start"),
    path("send", views.send, name="send"),
    path("events", views.poll, name="events"),
    path("typing", views.typing, name="typing"),
    path("read", views.read, name="read"),
    path("keep", views.keep, name="keep"),
    path("end", views.end, name="end"),
    path("rate", views.rate, name="rate"),
    path("transcript", views.transcript, name="transcript"),
    path("message", views.leave_message, name="leave_message"),
    path("new", views.new_chat, name="new"),
    path("files/<int:pk>", views.attachment, name="attachment"),
]
