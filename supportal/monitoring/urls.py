from __future__ import annotations

from django.urls import path

from supportal.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.status, name="status"),
]
