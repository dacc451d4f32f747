from __future__ import annotations

from django.urls import include, path

from supportal.helpcenter import views

app_name = "helpcenter"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", include("supportal.helpcenter.search_urls")),
]
