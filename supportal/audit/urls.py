"""The audit log, under /<lang>/agent/manage/audit/ (namespace "audit"), admins only."""

from __future__ import annotations

from django.urls import path

from supportal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export.csv", views.audit_export, name="export"),
]
