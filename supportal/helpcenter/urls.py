from __future__ import annotations

from django.urls import include, path

from supportal.accounts.access import public
from supportal.helpcenter.feeds import AnnouncementsFeed
from supportal.helpcenter.views import pages as views

app_name = "helpcenter"

urlpatterns = [
    path("", views.home, name="home"),
    path("categories/<int:category_id>/", views.category, name="category"),
    path("sections/<int:section_id>/", views.section, name="section"),
    path("articles/<int:article_id>/", views.article, name="article"),
    path("articles/<int:article_id>/vote/", views.vote, name="vote"),
    path("articles/<int:article_id>/feedback/", views.vote_comment, name="vote_comment"),
    path("faq/", views.faq, name="faq"),
    path("announcements/", views.announcements, name="announcements"),
    path("announcements/feed/", public(AnnouncementsFeed()), name="announcements_feed"),
    path("notices/<int:notice_id>/dismiss/", views.notice_dismiss, name="notice_dismiss"),
    path("search/", include("supportal.helpcenter.search_urls")),
]
