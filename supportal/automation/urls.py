"""Macros, under /<lang>/agent/ (namespace "automation")."""

from __future__ import annotations

from django.urls import path

from supportal.automation import views

app_name = "automation"

urlpatterns = [
    # Settings: an agent's own macros, an admin's shared ones
    path("manage/macros/", views.macros, name="macros"),
    path("manage/macros/new", views.macro_edit, name="macro_new"),
    path("manage/macros/<int:pk>", views.macro_edit, name="macro_edit"),
    path("manage/macros/<int:pk>/delete", views.macro_delete, name="macro_delete"),
    path("manage/macros/<int:pk>/toggle", views.macro_toggle, name="macro_toggle"),
    # On one request: preview (?macro=<pk>), then apply
    path("requests/<int:number>/macro", views.macro_preview, name="macro_preview"),
    path("requests/<int:number>/macro/<int:pk>/apply", views.macro_apply, name="macro_apply"),
]
