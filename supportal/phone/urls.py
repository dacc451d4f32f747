"""Agents' phone pages, under /<lang>/agent/ (namespace "phone"). The telephony webhook is
api.py, outside the language prefix (supportal/urls.py)."""

from __future__ import annotations

from django.urls import path

from supportal.phone import views

app_name = "phone"

urlpatterns = [
    path("requests/<int:number>/call", views.call_log, name="call_log"),
    path("calls/new", views.call_request_new, name="call_request_new"),
]
