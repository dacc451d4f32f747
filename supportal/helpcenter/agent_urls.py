from __future__ import annotations

from django.urls import path

from supportal.helpcenter.views import articles, gaps, notices, structure

app_name = "helpcenter_agent"

urlpatterns = [
    path("", articles.article_list, name="articles"),
    path("articles/new/", articles.article_create, name="article_create"),
    path("articles/<int:pk>/settings/", articles.article_settings, name="settings"),
    path("articles/<int:pk>/media/", articles.media_upload, name="media"),
    path("articles/<int:pk>/<str:locale>/", articles.translation_edit, name="translation"),
    path(
        "articles/<int:pk>/<str:locale>/revisions/",
        articles.revision_list,
        name="revisions",
    ),
    path(
        "articles/<int:pk>/<str:locale>/revisions/<int:revision_id>/",
        articles.revision_diff,
        name="revision",
    ),
    path(
        "articles/<int:pk>/<str:locale>/revisions/<int:revision_id>/restore/",
        articles.revision_restore,
        name="revision_restore",
    ),
    path("preview/", articles.preview, name="preview"),
    path("gaps/", gaps.content_gaps, name="gaps"),
    path("categories/", structure.category_list, name="categories"),
    path("notices/", notices.notice_list, name="notices"),
    path("notices/new/", notices.notice_create, name="notice_create"),
    path("notices/<int:pk>/", notices.notice_edit, name="notice"),
    path("notices/<int:pk>/delete/", notices.notice_delete, name="notice_delete"),
    path("categories/<int:pk>/", structure.category_edit, name="category"),
    path("sections/new/", structure.section_create, name="section_create"),
    path("sections/<int:pk>/", structure.section_edit, name="section"),
]
