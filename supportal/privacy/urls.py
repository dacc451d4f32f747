from __future__ import annotations

from django.urls import path

from supportal.privacy import views

app_name = "privacy"

urlpatterns = [
    path("personal-data/export/", views.export, name="export"),
    path("personal-data/export/status/", views.export_status, name="export_status"),
    path("personal-data/download/<str:token>/", views.download, name="download"),
    path("agent/manage/personal-data/retention/", views.retention, name="retention"),
    path(
        "agent/manage/personal-data/people/<int:pk>/export/",
        views.person_export,
        name="person_export",
    ),
    path(
        "agent/manage/personal-data/people/<int:pk>/export/status/",
        views.person_export_status,
        name="person_export_status",
    ),
    path(
        "agent/manage/personal-data/people/<int:pk>/erase/",
        views.person_erase,
        name="person_erase",
    ),
]
