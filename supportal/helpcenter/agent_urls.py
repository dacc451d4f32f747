from __future__ import annotations

from django.urls import path

from supportal.helpcenter import agent_views

app_name = "helpcenter_agent"

urlpatterns = [
    path("", agent_views.article_list, name="articles"),
]
