from __future__ import annotations

from django.urls import path

from supportal.helpcenter.views import search as search_views

urlpatterns = [
    path("", search_views.search_page, name="search"),
    path("suggest/", search_views.suggest, name="search_suggest"),
    path("click/<int:log_id>/<int:article_id>/", search_views.click, name="search_click"),
    path("suggested/<int:article_id>/", search_views.suggestion_open, name="search_suggested"),
]
