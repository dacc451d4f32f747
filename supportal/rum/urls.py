from __future__ import annotations

from django.urls import path

from supportal.rum import views

app_name = "rum"

# Under /<lang>/agent/manage/performance/; the beacon endpoint /rum/ is in supportal/urls.py
# (no language prefix: the script posts to one address from every page).
urlpatterns = [
    path("", views.performance, name="performance"),
]
