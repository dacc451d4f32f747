"""Rating pages under /<lang>/requests/<number>/rate... and the report under /<lang>/agent/."""

from __future__ import annotations

from django.urls import path

from supportal.satisfaction import views

app_name = "satisfaction"

urlpatterns = [
    path("requests/<int:number>/rating", views.rate_request, name="rate_request"),
    path("requests/<int:number>/rate/<str:token>", views.rate_link, name="rate"),
    path("requests/<int:number>/rate/<str:token>/thanks", views.rate_thanks, name="thanks"),
    path("agent/satisfaction/", views.report, name="report"),
]
