"""Atom feed of public announcements, per language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from supportal.core.pagecache import mark_response
from supportal.helpcenter import selectors
from supportal.helpcenter.models import Article
from supportal.lib.markdown import render_markdown

FEED_ITEMS = 20


class AnnouncementsFeed(Feed):
    feed_type = Atom1Feed
    # The same for every visitor: served from the page cache (supportal/core/pagecache.py).
    page_cache = True

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        mark_response(request, response)
        return response

    def title(self) -> str:
        return _("Announcements")

    def subtitle(self) -> str:
        return _("News and changes from our support team.")

    def link(self) -> str:
        return reverse("helpcenter:announcements")

    def items(self) -> list[Article]:
        locale = translation.get_language()
        public = selectors.announcements(None, locale).filter(visibility="everyone")
        return selectors.shown(public[:FEED_ITEMS], locale)

    def item_title(self, item: Article) -> str:
        return item.translation.title  # type: ignore[attr-defined]

    def item_description(self, item: Article) -> str:
        return render_markdown(item.translation.body).html  # type: ignore[attr-defined]

    def item_link(self, item: Article) -> str:
        return reverse("helpcenter:article", args=[item.pk])

    def item_pubdate(self, item: Article) -> datetime:
        return item.translation.publish_at or item.created_at  # type: ignore[attr-defined]

    def item_updateddate(self, item: Article) -> datetime:
        return item.translation.updated_at  # type: ignore[attr-defined]
