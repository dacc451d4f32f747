from __future__ import annotations

from django.urls import path

from supportal.helpcenter import agent_notices, agent_structure, agent_views

app_name = "helpcenter_agent"

urlpatterns = [
    path("", agent_views.article_list, name="articles"),
    path("articles/new/", agent_views.article_create, name="article_create"),
    path("articles/<int:pk>/settings/", agent_views.article_settings, name="settings"),
    path("articles/<int:pk>/media/", agent_views.media_upload, name="media"),
    path("articles/<int:pk>/<str:locale>/", agent_views.translation_edit, name="translation"),
    path(
        "articles/<int:pk>/<str:locale>/revisions/",
        agent_views.revision_list,
        name="revisions",
    ),
    path(
        "articles/<int:pk>/<str:locale>/revisions/<int:revision_id>/",
        agent_views.revision_diff,
        name="revision",
    ),
    path(
        "articles/<int:pk>/<str:locale>/revisions/<int:revision_id>/restore/",
        agent_views.revision_restore,
        name="revision_restore",
    ),
    path("preview/", agent_views.preview, name="preview"),
    path("categories/", agent_structure.category_list, name="categories"),
    path("notices/", agent_notices.notice_list, name="notices"),
    path("notices/new/", agent_notices.notice_create, name="notice_create"),
    path("notices/<int:pk>/", agent_notices.notice_edit, name="notice"),
    path("notices/<int:pk>/delete/", agent_notices.notice_delete, name="notice_delete"),
    path("categories/<int:pk>/", agent_structure.category_edit, name="category"),
    path("sections/new/", agent_structure.section_create, name="section_create"),
    path("sections/<int:pk>/", agent_structure.section_edit, name="section"),
]
