from __future__ import annotations

from django.urls import include, path

from supportal.helpcenter import views

app_name = "helpcenter"

urlpatterns = [
    path("", views.home, name="home"),
    path("categories/<int:category_id>/", views.category, name="category"),
    path("sections/<int:section_id>/", views.section, name="section"),
    path("articles/<int:article_id>/", views.article, name="article"),
    path("faq/", views.faq, name="faq"),
    path("announcements/", views.announcements, name="announcements"),
    path("search/", include("supportal.helpcenter.search_urls")),
]
