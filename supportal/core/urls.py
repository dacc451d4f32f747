from __future__ import annotations

from django.urls import path

from supportal.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("manage/outbox/", views.outbox, name="outbox"),
    path("manage/outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
]
