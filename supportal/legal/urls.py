"""Policy pages under /<lang>/ (namespace "legal"): public pages, acceptance, and the settings
pages under agent/manage/legal/."""

from __future__ import annotations

from django.urls import path

from supportal.legal import views

app_name = "legal"

urlpatterns = [
    path("privacy/", views.policy, {"kind": "privacy"}, name="privacy"),
    path("privacy/v<int:number>/", views.policy, {"kind": "privacy"}, name="privacy_version"),
    path("terms/", views.policy, {"kind": "terms"}, name="terms"),
    path("terms/v<int:number>/", views.policy, {"kind": "terms"}, name="terms_version"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("legal/accept/", views.accept, name="accept"),
    path("agent/manage/legal/", views.manage, name="manage"),
    path("agent/manage/legal/new/<str:kind>", views.version_new, name="version_new"),
    path("agent/manage/legal/<int:pk>/", views.version_edit, name="version_edit"),
    path("agent/manage/legal/<int:pk>/publish", views.version_publish, name="version_publish"),
]
