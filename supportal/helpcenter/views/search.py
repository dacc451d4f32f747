"""The help-center search page, its as-you-type suggestions and click tracking."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from supportal.accounts.access import public
from supportal.core.pagecache import cached_page
from supportal.core.ratelimit import rate_limit
from supportal.helpcenter import search, searchlog, selectors
from supportal.helpcenter.models import (
    Article,
    CategoryTranslation,
    SearchLog,
    SectionTranslation,
)

RESULTS_PER_PAGE = 10
SUGGESTIONS = 5  # titles in the search box's list
MAX_PAGE = 100


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**53 else None


def _categories(locale: str) -> list[tuple[int, str]]:
    rows = CategoryTranslation.objects.filter(locale=locale).order_by(
        "category__position", "category_id"
    )
    return [(row.category_id, row.name) for row in rows]


def _paths(hits: list[search.Hit], locale: str, categories: dict[int, str]) -> None:
    """Adds `path` (category, section names) to each hit; one query for all sections."""
    section_ids = {hit.translation.article.section_id for hit in hits} - {None}
    sections = dict(
        SectionTranslation.objects.filter(section_id__in=section_ids, locale=locale).values_list(
            "section_id", "name"
        )
    )
    for hit in hits:
        section = hit.translation.article.section
        names = []
        if section is not None:
            names = [categories.get(section.category_id, ""), sections.get(section.pk, "")]
        hit.path = [name for name in names if name]  # type: ignore[attr-defined]


def _log_for(request: HttpRequest, query: str, locale: str, total: int) -> SearchLog:
    """The log row of this search; following a page link reuses the first page's row."""
    reused = _int_or_none(request.GET.get("log"))
    if reused is not None:
        rows = SearchLog.objects.filter(query=query, locale=locale, user_id=request.user.pk)
        if searchlog.is_view(reused):
            searchlog.flush()
            row = rows.filter(view=reused).first()
        else:
            row = rows.filter(pk=reused).first()
        if row is not None:
            return row
    return SearchLog.objects.create(
        query=query,
        locale=locale,
        results=total,
        user=request.user if request.user.is_authenticated else None,
    )


def _search(
    request: HttpRequest, query: str, locale: str, category_id: int | None, page_number: int
) -> search.Results:
    return search.search(
        query,
        locale=locale,
        user=request.user,
        category_id=category_id,
        offset=(page_number - 1) * RESULTS_PER_PAGE,
        limit=RESULTS_PER_PAGE,
    )


# A visitor's search page is stored with this in place of its log row's number; each answer
# writes its own row and puts its number in (fill_search).
LOG_PLACEHOLDER = b"__search_log__"


def _log_placeholder(body: bytes, log_id: int) -> bytes:
    number = str(log_id).encode()
    body = re.sub(rb"(/search/click/)" + number + rb"/", rb"\g<1>" + LOG_PLACEHOLDER + b"/", body)
    return re.sub(rb"([?;]log=)" + number + rb"(?![0-9])", rb"\g<1>" + LOG_PLACEHOLDER, body)


def fill_search(
    request: HttpRequest, response: HttpResponse, body: bytes, extra: Any
) -> bytes | None:
    """A stored search page for one more visitor, logged like a search run here (in the
    process's next batch of log rows, helpcenter/searchlog.py).

    Not counted against the search limit: that limit keeps an address from making the search
    engine work without end, and a stored page runs no search (the flood guard still counts
    every request). Counting it in the shared counter would also mean a write per request,
    on which the web processes queue behind SQLite's one writer (25 % of the minimal view
    against 35 % without, docs/benchmarks.md)."""
    if extra is None:
        return body  # the empty search page: nothing searched, nothing logged
    number = searchlog.record(
        query=extra["query"], locale=extra["locale"], results=extra["results"]
    )
    return body.replace(LOG_PLACEHOLDER, str(number).encode())


@public
@require_GET
@cached_page(query=("q", "category"), fill=fill_search)
@rate_limit("search", by="user")
def search_page(request: HttpRequest) -> HttpResponse:
    locale = translation.get_language()
    query = search.clean_query(request.GET.get("q", ""))
    categories = _categories(locale)
    category_id = _int_or_none(request.GET.get("category"))
    if category_id not in dict(categories):
        category_id = None
    page_number = min(_int_or_none(request.GET.get("page")) or 1, MAX_PAGE)
    context: dict[str, Any] = {
        "query": query,
        "categories": categories,
        "category_id": category_id,
        "too_long": len(request.GET.get("q", "").strip()) > search.MAX_QUERY_LENGTH,
        "max_length": search.MAX_QUERY_LENGTH,
        "all_categories_query": urlencode({"q": query}),
        "crumbs": [(_("Help Center"), reverse("helpcenter:home")), (_("Search"), None)],
    }
    if query:
        results = _search(request, query, locale, category_id, page_number)
        if not results.hits and results.total:
            # Past the last page (an old link): show the last page instead.
            page_number = (results.shown_total - 1) // RESULTS_PER_PAGE + 1
            results = _search(request, query, locale, category_id, page_number)
        _paths(results.hits, locale, dict(categories))
        log = _log_for(request, query, locale, results.total)
        # Totals are counted up to a cap (search.TOTAL_CAP): pages go as far as it.
        paginator = Paginator(range(results.shown_total), RESULTS_PER_PAGE)
        page = paginator.get_page(page_number)
        params = {"q": query, "log": log.pk}
        if category_id:
            params["category"] = category_id
        context.update(
            results=results,
            log=log,
            page=page,
            page_query=urlencode(params),
            total_cap=number_format(search.TOTAL_CAP, force_grouping=True),
        )
    response = render(request, "helpcenter/search/results.html", context)
    if not request.user.is_authenticated and not request.GET.get("log"):
        log = context.get("log")
        response.page_cache_body = (  # type: ignore[attr-defined]
            response.content if log is None else _log_placeholder(response.content, log.pk)
        )
        if log is not None:
            response.page_cache_extra = {  # type: ignore[attr-defined]
                "query": log.query,
                "locale": log.locale,
                "results": log.results,
            }
    return response


@public
@require_GET
@rate_limit("suggest", by="user")
def suggest(request: HttpRequest) -> HttpResponse:
    """Up to five titles for the search box's list (an htmx fragment)."""
    locale = translation.get_language()
    query = search.clean_query(request.GET.get("q", ""))
    suggestions = (
        search.suggest(query, locale=locale, user=request.user, limit=SUGGESTIONS) if query else []
    )
    return render(
        request,
        "helpcenter/search/_suggestions.html",
        {"suggestions": suggestions, "query": query, "field_id": _field_id(request)},
    )


def _field_id(request: HttpRequest) -> str:
    value = request.GET.get("field", "hc-search")
    return (
        value
        if value.replace("-", "").replace("_", "").isalnum() and len(value) < 40
        else ("hc-search")
    )


@public
@require_GET
def click(request: HttpRequest, log_id: int, article_id: int) -> HttpResponse:
    """Records which result was opened, then goes to the article."""
    if Article.objects.filter(pk=article_id).exists():
        if not searchlog.is_view(log_id):
            SearchLog.objects.filter(pk=log_id, user_id=request.user.pk).update(
                clicked_article_id=article_id
            )
        elif not request.user.is_authenticated:  # stored pages are visitors' only
            searchlog.click(number=log_id, article_id=article_id, locale=translation.get_language())
    return HttpResponseRedirect(reverse("helpcenter:article", kwargs={"article_id": article_id}))


@public
@require_GET
def suggestion_open(request: HttpRequest, article_id: int) -> HttpResponse:
    """Records that a suggestion of the search box was opened (what was typed, how many were
    offered), then goes to the article: the search box's click-through."""
    locale = translation.get_language()
    if not selectors.visible_articles(request.user, locale).filter(pk=article_id).exists():
        raise Http404
    SearchLog.objects.create(
        query=search.clean_query(request.GET.get("q", ""))[:500],
        locale=locale,
        results=min(_int_or_none(request.GET.get("n")) or 0, SUGGESTIONS),
        clicked_article_id=article_id,
        user=request.user if request.user.is_authenticated else None,
        source=SearchLog.Source.SUGGESTION,
    )
    return HttpResponseRedirect(reverse("helpcenter:article", kwargs={"article_id": article_id}))
