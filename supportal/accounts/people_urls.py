"""People (accounts) for admins, under /<lang>/agent/manage/people/ (namespace "people")."""

from __future__ import annotations

from django.urls import path

from supportal.accounts.views import people

app_name = "people"

urlpatterns = [
    path("", people.people, name="list"),
    path("<int:pk>/", people.person, name="person"),
]
